import type { AppErrorData } from './types';

/**
 * Why a call failed, as data to `switch (err.info.code)` on. Refusals the server explains carry
 * their numbers (INSUFFICIENT_CREDITS: `shortfall`); transient ones carry `retryAfterMs` (the
 * client already retried them; see `retry` in the client options).
 */
export type RevmemoErrorInfo =
  | Exclude<AppErrorData, { code: 'RATE_LIMITED' }>
  | { code: 'UNAUTHORIZED' }
  | { code: 'FORBIDDEN' }
  | { code: 'NOT_FOUND' }
  | { code: 'BAD_REQUEST' }
  | { code: 'CONFLICT' }
  /** `limit` names the account limit that refused the call, when the server said which. */
  | { code: 'RATE_LIMITED'; retryAfterMs: number | null; limit?: string }
  | { code: 'SERVICE_UNAVAILABLE'; retryAfterMs: number | null }
  /** waitForResult's overall timeout ran out (the analysis goes on on the server). */
  | { code: 'TIMEOUT'; timeoutMs: number }
  /** Your AbortSignal fired. */
  | { code: 'ABORTED' }
  /** The server could not be reached (after retries, where the call retries). */
  | { code: 'NETWORK_ERROR' }
  | { code: 'SERVER_ERROR' };

export type RevmemoErrorCode = RevmemoErrorInfo['code'];

/** Server error data as sent on the wire (tRPC's `error.data`), kept for logs and support. */
export interface ServerErrorData {
  code?: string;
  httpStatus?: number;
  path?: string;
  appError?: AppErrorData | null;
}

/** The one error type the client throws. */
export class RevmemoError extends Error {
  override readonly name = 'RevmemoError';
  /** Same as `info.code`. */
  readonly code: RevmemoErrorCode;
  constructor(
    readonly info: RevmemoErrorInfo,
    message: string,
    readonly status: number | null = null,
    readonly data: ServerErrorData | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = info.code;
  }

  /** true for errors worth trying again later (rate limits, outages, network). */
  get transient(): boolean {
    return (
      this.code === 'RATE_LIMITED' || this.code === 'SERVICE_UNAVAILABLE' || this.code === 'NETWORK_ERROR'
    );
  }

  /** true for the server saying no to this request as it stands (credits, limits, quote state). */
  get refusal(): boolean {
    return REFUSALS.has(this.code);
  }
}

const REFUSALS = new Set<RevmemoErrorCode>([
  'INSUFFICIENT_CREDITS',
  'QUOTE_EXPIRED',
  'QUOTE_ALREADY_USED',
  'TOO_MANY_WORDS',
  'CONTRACT_TOO_LONG',
  'FILE_TOO_LARGE',
  'DOCUMENT_UNREADABLE',
  'RATE_LIMITED',
  'PURCHASES_DISABLED',
  'ANALYSIS_FINISHED',
]);

export const isRevmemoError = (err: unknown): err is RevmemoError => err instanceof RevmemoError;

const BY_STATUS: Record<number, RevmemoErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};
const BY_TRPC_CODE: Record<string, RevmemoErrorCode> = {
  BAD_REQUEST: 'BAD_REQUEST',
  PARSE_ERROR: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** Builds the error from what the server said: its machine-readable reason first, then its code/status. */
export function errorFromServer(
  data: ServerErrorData | null,
  message: string,
  status: number | null,
  retryAfterMs: number | null = null,
  cause?: unknown,
): RevmemoError {
  const appError = data?.appError;
  if (appError?.code === 'RATE_LIMITED') {
    const info = {
      code: 'RATE_LIMITED',
      limit: appError.limit,
      retryAfterMs: appError.retryAfterSeconds * 1000,
    } as const;
    return new RevmemoError(info, message, status, data, { cause });
  }
  if (appError) return new RevmemoError(appError, message, status, data, { cause });
  const code =
    (data?.code && BY_TRPC_CODE[data.code]) || (status != null && BY_STATUS[status]) || 'SERVER_ERROR';
  const info: RevmemoErrorInfo =
    code === 'RATE_LIMITED' || code === 'SERVICE_UNAVAILABLE'
      ? { code, retryAfterMs }
      : ({ code } as RevmemoErrorInfo);
  return new RevmemoError(info, message, status ?? data?.httpStatus ?? null, data, { cause });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
