import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  AnalysisAbortedError,
  PermanentAnalysisError,
  type PermanentErrorCode,
  TransientModelError,
} from '../errors';

export type ModelErrorClass = 'retry' | 'fail';

/** Status codes the provider documents as "try again later". */
const RETRYABLE_STATUS = new Set([408, 409, 429]);

/**
 * 'retry' when trying the same request later can succeed (rate limits, provider outages,
 * timeouts, dropped connections); 'fail' for everything else, including errors we do not
 * recognise, because retrying a bug only burns the customer's time.
 */
export function classifyModelError(err: unknown): ModelErrorClass {
  if (err instanceof TransientModelError) return 'retry';
  if (err instanceof PermanentAnalysisError || err instanceof AnalysisAbortedError) return 'fail';
  if (err instanceof APIUserAbortError) return 'fail';
  if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) return 'retry';
  const status = statusOf(err);
  if (status !== undefined) return RETRYABLE_STATUS.has(status) || status >= 500 ? 'retry' : 'fail';
  return 'fail';
}

/** An error that is already one of the engine's, or the end of an aborted call; undefined otherwise. */
function alreadySettled(err: unknown, signal: AbortSignal | undefined): Error | undefined {
  if (
    err instanceof TransientModelError ||
    err instanceof PermanentAnalysisError ||
    err instanceof AnalysisAbortedError
  )
    return err;
  if (err instanceof APIUserAbortError || signal?.aborted) return new AnalysisAbortedError({ cause: err });
  return undefined;
}

/** Wraps any error from a model call into the engine's error types. */
export function toAnalysisError(err: unknown, signal?: AbortSignal): Error {
  const settled = alreadySettled(err, signal);
  if (settled) return settled;
  const status = statusOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (classifyModelError(err) === 'retry') {
    const what =
      err instanceof APIConnectionTimeoutError
        ? 'timed out'
        : status
          ? `answered ${status}`
          : 'could not be reached';
    return new TransientModelError(`model request ${what}: ${detail}`, status, {
      cause: err,
      retryAfterMs: retryAfterOf(err),
    });
  }
  const [code, message] = permanentFor(status);
  return new PermanentAnalysisError(code, message, { cause: err, detail });
}

/**
 * An error while reading a streamed answer, after the provider accepted the request with a 200: the
 * connection dropped (undici's "terminated"), the stream broke, or the provider sent an error event
 * mid-answer. The request itself was fine, so trying it again can succeed: transient, unless the
 * call was aborted. The partial answer is thrown away (docs/durable-steps.md).
 */
export function toStreamError(err: unknown, signal?: AbortSignal): Error {
  const settled = alreadySettled(err, signal);
  if (settled) return settled;
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  const detail = `${err instanceof Error ? err.message : String(err)}${cause}`;
  return new TransientModelError(`model answer broke off mid-stream: ${detail}`, statusOf(err), {
    cause: err,
  });
}

function permanentFor(status: number | undefined): [PermanentErrorCode, string] {
  switch (status) {
    case 400:
    case 422:
      return ['bad_request', 'The AI model rejected the request for this contract.'];
    case 401:
    case 403:
      return [
        'auth',
        'The AI model service refused our credentials; the operators have to fix the configuration.',
      ];
    case 404:
      return ['model_not_found', 'The configured AI model does not exist or is not available.'];
    default:
      return ['model_error', 'The AI model failed in a way that retrying will not fix.'];
  }
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof APIError && typeof err.status === 'number') return err.status;
  return undefined;
}

/**
 * The wait the provider asked for: `retry-after-ms` (OpenAI's, milliseconds) first, then the
 * standard `Retry-After` in seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterOf(err: unknown, now = Date.now()): number | undefined {
  if (!(err instanceof APIError) || !err.headers) return undefined;
  const headers = err.headers as Headers;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
