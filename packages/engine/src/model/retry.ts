import { AnalysisAbortedError, RetryLaterError, TransientModelError } from '../errors';

/** How hard one step tries before the job-level retry (which resumes from the last finished step). */
export interface StepRetryPolicy {
  /** Tries in all, the first included. */
  tries: number;
  /** Longest the step keeps retrying, waits included. */
  budgetMs: number;
  /** Base of the exponential backoff; each wait is random in [0, base * 2^(n-1)] (full jitter). */
  backoffMs: number;
}

export const DEFAULT_STEP_RETRY: StepRetryPolicy = { tries: 4, budgetMs: 60_000, backoffMs: 1_000 };

/** Longest single backoff wait when the provider names none. */
const MAX_BACKOFF_MS = 30_000;

export interface RetryWait {
  /** The try that comes after the wait (2 = the first retry). */
  attempt: number;
  maxAttempts: number;
  retryAt: Date;
  error: TransientModelError;
}

export interface RetryHooks {
  /** Cuts a wait short (shutdown, cancel): the step throws AnalysisAbortedError at once. */
  signal?: AbortSignal | undefined;
  /** Told before each wait, so the user sees "retrying in 8 s". */
  onWait?: (wait: RetryWait) => Promise<void>;
  /** Each failed try, and whether it will be tried again here. */
  onFailedTry?: (error: TransientModelError, retried: boolean) => void;
  random?: () => number;
  now?: () => number;
}

/**
 * Runs one model step, retrying transient failures (429, 408, 409, 5xx, timeouts, dropped
 * connections) in place with exponential backoff and full jitter, honouring the provider's
 * Retry-After. Permanent errors pass straight through. When the tries or the time budget run out
 * the last transient error is thrown (the job-level retry takes over); when the provider asks for
 * a pause longer than the budget, RetryLaterError tells the caller to park the job until then.
 */
export async function withStepRetry<T>(
  policy: StepRetryPolicy,
  run: () => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const now = hooks.now ?? Date.now;
  const random = hooks.random ?? Math.random;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof TransientModelError) || err instanceof RetryLaterError) throw err;
      const asked = err.retryAfterMs;
      const delay =
        asked !== undefined
          ? asked
          : random() * Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** (attempt - 1));
      const elapsed = now() - started;
      if (asked !== undefined && elapsed + asked > policy.budgetMs) {
        hooks.onFailedTry?.(err, false);
        throw new RetryLaterError(new Date(now() + asked), err);
      }
      if (attempt >= policy.tries || elapsed + delay > policy.budgetMs) {
        hooks.onFailedTry?.(err, false);
        throw err;
      }
      hooks.onFailedTry?.(err, true);
      const retryAt = new Date(now() + delay);
      await hooks.onWait?.({ attempt: attempt + 1, maxAttempts: policy.tries, retryAt, error: err });
      await sleep(delay, hooks.signal);
    }
  }
}

/** Resolves after `ms`; rejects with AnalysisAbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AnalysisAbortedError({ cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AnalysisAbortedError({ cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
