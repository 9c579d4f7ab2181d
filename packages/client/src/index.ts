export {
  createRevmemoClient,
  type FollowedProgress,
  type FollowOptions,
  type PageOptions,
  type ReconnectInfo,
  type RevmemoClient,
  type RevmemoClientOptions,
  type UploadFile,
  type WaitOptions,
} from './client';
export {
  isRevmemoError,
  RevmemoError,
  type RevmemoErrorCode,
  type RevmemoErrorInfo,
  type ServerErrorData,
} from './errors';
export type { RetryInfo, RetryOptions } from './transport';
export * from './types';
