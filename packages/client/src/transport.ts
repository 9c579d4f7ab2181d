import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { EventSource } from 'eventsource';
import { errorFromServer, parseRetryAfter, RevmemoError, type ServerErrorData } from './errors';

export interface RetryOptions {
  /** Tries per call, the first included (default 5; 1 turns retrying off). */
  maxAttempts?: number;
  /** First backoff when the server sent no Retry-After; doubles per try (default 500 ms). */
  baseDelayMs?: number;
  /** The longest single wait (default 30 s). A Retry-After longer than this is not waited for: the error is thrown. */
  maxDelayMs?: number;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  cookie?: string | undefined;
  retry?: RetryOptions | false | undefined;
  /** Called before each retry wait (logging, a CLI status line). */
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch | undefined;
}

export interface RetryInfo {
  /** The try that failed (1-based). */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  reason: 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE' | 'NETWORK_ERROR';
  url: string;
}

export type RetryingFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const sleep = (ms: number, signal?: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });

async function serverErrorOf(res: Response): Promise<{ data: ServerErrorData | null; message: string }> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      error?: { message?: string; code?: string | number; data?: ServerErrorData; appError?: unknown };
      message?: string;
    };
    const e = body.error;
    if (e && typeof e === 'object') {
      // tRPC: { error: { message, code: -32xxx, data: { code, httpStatus, appError } } }
      // upload route: { error: { code, message, appError } }
      const data: ServerErrorData = e.data ?? {
        code: typeof e.code === 'string' ? e.code : undefined,
        appError: (e.appError as ServerErrorData['appError']) ?? null,
      };
      return { data, message: e.message ?? `HTTP ${res.status}` };
    }
    return { data: null, message: body.message ?? `HTTP ${res.status}` };
  } catch {
    return { data: null, message: text.slice(0, 200) || `HTTP ${res.status}` };
  }
}

/**
 * fetch with the credentials attached, retrying 429 and 503 (honouring Retry-After) and, for
 * requests safe to repeat, network failures, with bounded exponential backoff. After the last try a
 * 429/503 becomes a RevmemoError carrying `retryAfterMs`.
 */
function createFetch(opts: TransportOptions): {
  authFetch: RetryingFetch;
  retryingFetch: RetryingFetch;
} {
  const baseFetch = opts.fetch ?? globalThis.fetch;
  const auth: Record<string, string> = {};
  if (opts.apiKey) auth['x-api-key'] = opts.apiKey;
  if (opts.cookie) auth.cookie = opts.cookie;
  const retry = opts.retry === false ? { maxAttempts: 1 } : (opts.retry ?? {});
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 5);
  const baseDelayMs = retry.baseDelayMs ?? 500;
  const maxDelayMs = retry.maxDelayMs ?? 30_000;

  const authFetch: RetryingFetch = (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(auth)) headers.set(k, v);
    return baseFetch(input, { ...init, headers });
  };

  const retryingFetch: RetryingFetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    // Queries are reads; submit carries an idempotency key: both are safe to send again.
    const repeatable = method === 'GET' || /\/trpc\/analysis\.submit\b/.test(url);
    for (let attempt = 1; ; attempt++) {
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      let res: Response;
      try {
        res = await authFetch(input, init);
      } catch (err) {
        if (init?.signal?.aborted || !repeatable || attempt >= maxAttempts) throw err;
        opts.onRetry?.({ attempt, maxAttempts, delayMs: backoff, reason: 'NETWORK_ERROR', url });
        await sleep(backoff, init?.signal);
        continue;
      }
      if (res.status !== 429 && res.status !== 503) return res;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      const delayMs = retryAfterMs ?? backoff;
      if (attempt >= maxAttempts || delayMs > maxDelayMs) {
        const { data, message } = await serverErrorOf(res);
        throw errorFromServer(data, message, res.status, retryAfterMs);
      }
      await res.body?.cancel().catch(() => undefined);
      const reason = res.status === 429 ? 'RATE_LIMITED' : 'SERVICE_UNAVAILABLE';
      opts.onRetry?.({ attempt, maxAttempts, delayMs, reason, url });
      await sleep(delayMs, init?.signal);
    }
  };
  return { authFetch, retryingFetch };
}

/**
 * The tRPC client over the API: plain JSON over HTTP for calls, SSE for progress. Generic so the
 * server's AppRouter type is named only inside function bodies, never in the published declarations.
 */
export function createTransport<TRouter extends AnyTRPCRouter>(
  opts: TransportOptions & { raw?: boolean },
): { trpc: TRPCClient<TRouter>; authFetch: RetryingFetch; retryingFetch: RetryingFetch; baseUrl: string } {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const { authFetch, retryingFetch } = createFetch(opts);
  const url = `${baseUrl}/trpc`;
  // The links do not depend on the router type; built once for any router, then typed for TRouter.
  const links: TRPCLink<AnyTRPCRouter>[] = [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({
        url,
        // Node's EventSource (and the browser's) cannot send headers; this one takes a fetch.
        EventSource,
        eventSourceOptions: () => ({ fetch: authFetch }),
      }),
      // `raw`: the workspace's test client, batched and without the retry layer (errors as tRPC sent them).
      // (At most 10 calls a batch: the server's MAX_BATCH_SIZE is never below that.)
      false: opts.raw
        ? httpBatchLink({ url, fetch: authFetch, maxItems: 10 })
        : httpLink({ url, fetch: retryingFetch }),
    }),
  ];
  const trpc = createTRPCClient<TRouter>({ links: links as TRPCLink<TRouter>[] });
  return { trpc, authFetch, retryingFetch, baseUrl };
}

/** Any failure of a call, as a RevmemoError. */
export function toRevmemoError(err: unknown): RevmemoError {
  if (err instanceof RevmemoError) return err;
  if (err instanceof TRPCClientError) {
    if (err.cause instanceof RevmemoError) return err.cause;
    const data = (err.data ?? null) as ServerErrorData | null;
    if (data) return errorFromServer(data, err.message, data.httpStatus ?? null, null, err);
    if (err.cause) return toRevmemoError(err.cause);
    return new RevmemoError({ code: 'SERVER_ERROR' }, err.message, null, null, { cause: err });
  }
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'AbortError')
    return new RevmemoError({ code: 'ABORTED' }, 'Aborted.', null, null, { cause: err });
  return new RevmemoError(
    { code: 'NETWORK_ERROR' },
    `Could not reach the server: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)}`,
    null,
    null,
    { cause: err },
  );
}
