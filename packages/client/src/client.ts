import type { AppRouter } from '@revmemo/api';
import { errorFromServer, RevmemoError } from './errors';
import { createTransport, type RetryInfo, type RetryOptions, toRevmemoError } from './transport';
import {
  type AnalysisDetail,
  type AnalysisSummary,
  type Balance,
  type CreditTransaction,
  isTerminalEvent,
  type MemoDraft,
  type Page,
  type ProgressEvent,
  type Quote,
  type SubmittedAnalysis,
} from './types';

export interface RevmemoClientOptions {
  /** e.g. https://revmemo.example.com */
  baseUrl: string;
  /** An API key (`rvm_…`; create one via POST /api/auth/api-key/create while signed in). */
  apiKey?: string | undefined;
  /** A session cookie header, for scripts that signed in with a password. */
  cookie?: string | undefined;
  /** Retrying 429 and 503 answers (and network failures of reads); `false` turns it off. */
  retry?: RetryOptions | false | undefined;
  /** Told before each retry wait. */
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /** First delay before reconnecting a dropped progress stream; doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number | undefined;
  /** Longest delay between progress reconnects (default 10 s). */
  maxReconnectDelayMs?: number | undefined;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch | undefined;
}

export interface FollowedProgress {
  /** The event's stream id: pass it as `lastEventId` to resume right after it. */
  id: string;
  event: ProgressEvent;
}

export interface ReconnectInfo {
  /** Reconnects since the last event arrived (1 for the first). */
  attempt: number;
  /** The last event id the stream will resume from (undefined before the first event). */
  lastEventId: string | undefined;
  error: RevmemoError | null;
}

export interface FollowOptions {
  /** Resume right after this event (from `FollowedProgress.id`). */
  lastEventId?: string | undefined;
  /** Stops following; the iterator then throws a RevmemoError with code ABORTED. */
  signal?: AbortSignal | undefined;
  /** The stream dropped and is being re-established (the iterator keeps going). */
  onReconnecting?: ((info: ReconnectInfo) => void) | undefined;
  /** The stream is (again) connected. */
  onConnected?: (() => void) | undefined;
  /**
   * `false` leaves out `partial` events (progress within a step, several a second while the model
   * writes), for integrators that only want stage changes and the end. Default true.
   */
  partials?: boolean | undefined;
}

export interface WaitOptions {
  /** Gives up after this long (RevmemoError TIMEOUT); the analysis goes on on the server. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((event: ProgressEvent, id: string) => void) | undefined;
  onReconnecting?: FollowOptions['onReconnecting'];
  /** `false`: `onProgress` is not told about `partial` events (see FollowOptions.partials). */
  partials?: boolean | undefined;
}

export interface UploadFile {
  filename: string;
  data: Uint8Array | ArrayBuffer | Blob;
}

export interface PageOptions {
  /** 1–100, default 20. */
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/** The Revmemo API for integrations. Every method throws RevmemoError. */
export interface RevmemoClient {
  readonly baseUrl: string;
  /** Prices pasted text. */
  quoteText(text: string, opts?: { filename?: string; additionalContext?: string }): Promise<Quote>;
  /** Uploads PDF, DOCX or TXT files (one document) and prices them. */
  quoteFiles(files: UploadFile[], additionalContext?: string): Promise<Quote>;
  /**
   * Starts the analysis of a quote and holds its credits. The idempotency key (made for you when
   * omitted) makes a repeated submit return the same analysis instead of a second one: pass your
   * own to make retries across process restarts safe.
   */
  submit(quoteId: string, idempotencyKey?: string): Promise<SubmittedAnalysis>;
  get(analysisId: string): Promise<AnalysisDetail>;
  /**
   * The memo so far while the analysis runs: the finished steps' sections, marked as a draft.
   * Null before step 1 has finished and once the analysis has ended (then `get()` has the memo).
   * Fetch it when a stage starts (a `progress` event), not on `partial` events: it only changes
   * when a step finishes.
   */
  draft(analysisId: string): Promise<MemoDraft | null>;
  /** One page of analyses, newest first. */
  list(opts?: PageOptions): Promise<Page<AnalysisSummary>>;
  /** Every analysis, fetching pages as you iterate. */
  listAll(opts?: { pageSize?: number }): AsyncGenerator<AnalysisSummary>;
  /** Cancels a queued or running analysis; its credits are released. */
  cancel(analysisId: string): Promise<AnalysisSummary>;
  balance(): Promise<Balance>;
  /** One page of the credit ledger, newest first. */
  history(opts?: PageOptions): Promise<Page<CreditTransaction>>;
  historyAll(opts?: { pageSize?: number }): AsyncGenerator<CreditTransaction>;
  /**
   * Progress as an async iterator: a snapshot, then each step, ending after the terminal event.
   * A dropped connection or a restarted server is reconnected from the last event id: no event is
   * missed or repeated.
   *
   * Between two stage events come `partial` events (`event.kind === 'partial'`, or
   * `isPartialEvent(event)`): the model's progress within the step, a few a second at most, with
   * `event.partial.share` and `event.partial.finding`. They are safe to miss: a resumed stream
   * sends only the latest one of the stretch it missed, and each is superseded by the next. Along
   * the whole stream `event.percent` never decreases. Pass `partials: false` to leave them out.
   */
  follow(analysisId: string, opts?: FollowOptions): AsyncGenerator<FollowedProgress>;
  /** Follows the analysis to its end, then returns it with its memo. */
  waitForResult(
    analysisId: string,
    opts?: WaitOptions | ((event: ProgressEvent) => void),
  ): Promise<AnalysisDetail>;
}

const FATAL_STREAM_CODES = new Set(['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN', 'BAD_REQUEST']);

/** A typed Revmemo client for integrations: quote, submit, follow progress (resuming), fetch the memo. */
export function createRevmemoClient(options: RevmemoClientOptions): RevmemoClient {
  const { trpc, retryingFetch, baseUrl } = createTransport<AppRouter>(options);
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw toRevmemoError(err);
    }
  };
  const firstDelay = options.reconnectDelayMs ?? 500;
  const maxDelay = options.maxReconnectDelayMs ?? 10_000;

  async function* pages<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>) {
    let cursor: string | null = null;
    do {
      const page = await fetchPage(cursor);
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** One subscription until it completes or fails; events go to `push` as they come. */
  function streamOnce(
    analysisId: string,
    lastEventId: string | undefined,
    push: (p: FollowedProgress) => void,
    opts: FollowOptions,
    onDrop: (error: RevmemoError | null) => void,
  ) {
    return new Promise<void>((resolve, reject) => {
      const sub = trpc.analysis.progress.subscribe(
        { analysisId, ...(lastEventId ? { lastEventId } : {}) },
        {
          onData: (tracked) => push({ id: tracked.id, event: tracked.data }),
          onConnectionStateChange(state) {
            if (state.state === 'pending') opts.onConnected?.();
            // tRPC's own reconnect (the EventSource retrying with the last id).
            if (state.state === 'connecting' && state.error) onDrop(toRevmemoError(state.error));
          },
          onError(err) {
            sub.unsubscribe();
            reject(toRevmemoError(err));
          },
          onComplete: () => resolve(),
        },
      );
      const stop = () => {
        sub.unsubscribe();
        resolve();
      };
      if (opts.signal?.aborted) stop();
      opts.signal?.addEventListener('abort', stop, { once: true });
    });
  }

  const client: RevmemoClient = {
    baseUrl,
    quoteText: (text, opts = {}) => call(() => trpc.analysis.quote.mutate({ text, ...opts })),

    async quoteFiles(files, additionalContext) {
      const form = new FormData();
      for (const f of files)
        form.append('file', f.data instanceof Blob ? f.data : new Blob([f.data]), f.filename);
      if (additionalContext) form.append('additionalContext', additionalContext);
      const res = await call(() => retryingFetch(`${baseUrl}/api/quotes`, { method: 'POST', body: form }));
      const body = (await res.json().catch(() => null)) as
        | Quote
        | { error: { code?: string; message?: string; appError?: unknown } }
        | null;
      if (!res.ok || !body || 'error' in body) {
        const e = body && 'error' in body ? body.error : undefined;
        throw errorFromServer(
          e ? { code: e.code, appError: (e.appError ?? null) as never } : null,
          e?.message ?? `HTTP ${res.status}`,
          res.status,
        );
      }
      return body;
    },

    submit: (quoteId, idempotencyKey = crypto.randomUUID()) =>
      call(() => trpc.analysis.submit.mutate({ quoteId, idempotencyKey })),
    get: (analysisId) => call(() => trpc.analysis.get.query({ analysisId })),
    draft: (analysisId) => call(() => trpc.analysis.draft.query({ analysisId })),
    list: (opts = {}) => call(() => trpc.analysis.list.query(opts)),
    listAll: (opts = {}) => pages((cursor) => client.list({ limit: opts.pageSize ?? 50, cursor })),
    cancel: (analysisId) => call(() => trpc.analysis.cancel.mutate({ analysisId })),
    balance: () => call(() => trpc.credits.balance.query()),
    history: (opts = {}) => call(() => trpc.credits.history.query(opts)),
    historyAll: (opts = {}) => pages((cursor) => client.history({ limit: opts.pageSize ?? 50, cursor })),

    async *follow(analysisId, opts = {}) {
      let lastId = opts.lastEventId;
      let delay = firstDelay;
      let attempt = 0;
      const queue: FollowedProgress[] = [];
      let wake: (() => void) | null = null;
      const push = (p: FollowedProgress) => {
        queue.push(p);
        wake?.();
      };
      const dropped = (error: RevmemoError | null) => {
        attempt += 1;
        opts.onReconnecting?.({ attempt, lastEventId: lastId, error });
      };
      const aborted = () => new RevmemoError({ code: 'ABORTED' }, 'Stopped following: aborted.');
      while (true) {
        if (opts.signal?.aborted) throw aborted();
        let outcome: { error: RevmemoError | null } | undefined;
        const run = streamOnce(analysisId, lastId, push, opts, dropped).then(
          () => {
            outcome = { error: null };
          },
          (error: RevmemoError) => {
            outcome = { error };
          },
        );
        while (outcome === undefined || queue.length > 0) {
          const next = queue.shift();
          if (next) {
            lastId = next.id;
            delay = firstDelay;
            attempt = 0;
            // Skipped, not unsubscribed: its id still moves the resume point past it.
            if (opts.partials === false && next.event.kind === 'partial') continue;
            yield next;
            if (isTerminalEvent(next.event)) return;
            if (opts.signal?.aborted) throw aborted();
            continue;
          }
          await Promise.race([run, new Promise<void>((r) => (wake = r))]);
          wake = null;
        }
        if (opts.signal?.aborted) throw aborted();
        const { error } = outcome;
        if (error && FATAL_STREAM_CODES.has(error.code)) throw error;
        // The stream ended without a terminal event (a server stopping, a proxy cutting it): go on.
        dropped(error);
        const wait = error?.transient && error.info.code !== 'NETWORK_ERROR' ? error.info : null;
        // The server's Retry-After (a stream cap, an outage) is honoured in full, even past maxDelay.
        const ms = Math.max(
          Math.min(maxDelay, delay),
          (wait && 'retryAfterMs' in wait && wait.retryAfterMs) || 0,
        );
        await new Promise<void>((r) => {
          const t = setTimeout(r, ms);
          opts.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
        delay = Math.min(delay * 2, maxDelay);
      }
    },

    async waitForResult(analysisId, arg) {
      const opts: WaitOptions = typeof arg === 'function' ? { onProgress: arg } : (arg ?? {});
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) controller.abort();
      let timedOut = false;
      const timer =
        opts.timeoutMs != null
          ? setTimeout(() => {
              timedOut = true;
              controller.abort();
            }, opts.timeoutMs)
          : null;
      try {
        for await (const p of client.follow(analysisId, {
          signal: controller.signal,
          onReconnecting: opts.onReconnecting,
          partials: opts.partials,
        }))
          opts.onProgress?.(p.event, p.id);
      } catch (err) {
        if (timedOut)
          throw new RevmemoError(
            { code: 'TIMEOUT', timeoutMs: opts.timeoutMs ?? 0 },
            `Gave up waiting after ${opts.timeoutMs} ms; the analysis goes on on the server.`,
          );
        throw err;
      } finally {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      }
      return client.get(analysisId);
    },
  };
  return client;
}
