export {
  createRevmemoClient,
  type FollowedProgress,
  type RevmemoClient,
  type RevmemoClientOptions,
} from './client';
