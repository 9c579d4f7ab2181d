import { redactError } from '@revmemo/db';
import {
  AnalysisAbortedError,
  DocumentError,
  PermanentAnalysisError,
  TooManyWordsError,
  TransientModelError,
} from '@revmemo/engine';

export interface Failure {
  /** True: rethrow so BullMQ retries with backoff. False: release the hold and fail for good. */
  retry: boolean;
  /** Shown to the user (progress message, error_message); never a stack or provider detail. */
  userMessage: string;
}

/**
 * Errors retrying cannot fix fail at once. Transient model errors retry until the last attempt.
 * Anything unrecognised (a Postgres blip, a bug) is retried as well: failing a paid analysis on the
 * first hiccup is worse than a few extra attempts, and the last attempt still fails it cleanly.
 */
export function classifyFailure(err: unknown, lastAttempt: boolean): Failure {
  if (
    err instanceof PermanentAnalysisError ||
    err instanceof DocumentError ||
    err instanceof TooManyWordsError
  ) {
    return { retry: false, userMessage: `${err.userMessage} Nothing was charged.` };
  }
  if (err instanceof TransientModelError) {
    return lastAttempt
      ? {
          retry: false,
          userMessage: 'The AI model stayed unavailable after several attempts. Nothing was charged.',
        }
      : { retry: true, userMessage: err.userMessage };
  }
  return lastAttempt
    ? { retry: false, userMessage: 'The analysis failed because of an internal error. Nothing was charged.' }
    : { retry: true, userMessage: 'A temporary problem interrupted the analysis; it will be retried.' };
}

/**
 * The reason BullMQ stores with a failed attempt (kept for weeks, shown in Bull Board). The engine's
 * own errors say what happened without document content; any other error (a database error can
 * carry the query's parameters, i.e. contract text) is reduced to its type and code.
 */
export function jobFailureReason(err: unknown): string {
  if (
    err instanceof TransientModelError ||
    err instanceof PermanentAnalysisError ||
    err instanceof DocumentError ||
    err instanceof TooManyWordsError ||
    err instanceof AnalysisAbortedError
  ) {
    return `${err.name}: ${err.message}`.slice(0, 500);
  }
  const redacted = redactError(err);
  if (redacted !== err && redacted instanceof Error) return redacted.message; // code and table only
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === 'string' ? ` (${code})` : ''}: details in the worker log`;
  }
  return 'unknown error: details in the worker log';
}
