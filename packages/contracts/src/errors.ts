/**
 * Machine-readable reasons attached to API errors (`error.data.appError` on the tRPC wire), so
 * the web app and integrations can react to them without parsing messages.
 */
export type AppErrorData =
  | { code: 'INSUFFICIENT_CREDITS'; required: number; available: number; shortfall: number }
  | { code: 'QUOTE_EXPIRED' }
  | { code: 'QUOTE_NOT_FOUND' }
  | { code: 'QUOTE_ALREADY_USED' }
  | { code: 'IDEMPOTENCY_CONFLICT' }
  | { code: 'DOCUMENT_UNREADABLE'; reason: string; filename?: string }
  | { code: 'TOO_MANY_WORDS'; words: number; maxWords: number }
  | { code: 'CONTRACT_TOO_LONG'; tokens: number; maxTokens: number }
  | { code: 'FILE_TOO_LARGE'; maxBytes: number; filename?: string }
  /** An upload past an extraction limit (pages, inflated DOCX part, characters, time, memory, busy). */
  | { code: 'DOCUMENT_LIMIT'; reason: string; limit: number | null; filename?: string }
  | { code: 'TOO_MANY_FILES'; maxFiles: number }
  | { code: 'CONTEXT_TOO_LONG'; maxChars: number }
  | { code: 'INVALID_FILENAME' }
  | { code: 'PURCHASES_DISABLED' }
  | { code: 'ANALYSIS_FINISHED'; status: string }
  /** A tRPC batch carrying more calls than MAX_BATCH_SIZE (HTTP 400; send fewer calls per request). */
  | { code: 'BATCH_TOO_LARGE'; size: number; maxBatchSize: number }
  /**
   * A limit on how often or how much an account may do something (rate limits, open progress
   * streams). `retryAfterSeconds` is also sent as the Retry-After header; `limit` names
   * the limit that refused the call (see docs/limits.md).
   */
  | { code: 'RATE_LIMITED'; limit: string; retryAfterSeconds: number };

export type AppErrorCode = AppErrorData['code'];
