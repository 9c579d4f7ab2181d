import type { AppRouter } from '@revmemo/api';
import { isTerminalEvent, type ProgressEvent, type Quote } from '@revmemo/contracts';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';

export interface RevmemoClientOptions {
  /** e.g. https://revmemo.example.com */
  baseUrl: string;
  /** An API key (create one in the web app or via POST /api/auth/api-key/create). */
  apiKey?: string;
  /** A session cookie header, for scripts that signed in with a password. */
  cookie?: string;
  /** Delay before reconnecting a dropped progress stream; doubles up to 30 s. */
  reconnectDelayMs?: number;
}

export interface FollowedProgress {
  /** Redis stream id: pass it as `lastEventId` to resume from here. */
  id: string;
  event: ProgressEvent;
}

/** A typed Revmemo client for integrations: quote, submit, follow progress (resuming), fetch the memo. */
export function createRevmemoClient(opts: RevmemoClientOptions) {
  const baseUrl = opts.baseUrl.replace(/\/$/, '');
  const headers: Record<string, string> = {};
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  if (opts.cookie) headers.cookie = opts.cookie;
  const withAuth = (input: string | URL | Request, init?: RequestInit) =>
    fetch(input, {
      ...init,
      headers: { ...(init?.headers as Record<string, string> | undefined), ...headers },
    });

  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${baseUrl}/trpc`,
          // Node has no EventSource; this one lets us send the API key header.
          EventSource,
          eventSourceOptions: () => ({ fetch: withAuth }),
        }),
        false: httpBatchLink({ url: `${baseUrl}/trpc`, headers: () => headers }),
      }),
    ],
  });

  /** One subscription; resolves with the last id seen, or rejects with that id attached. */
  function streamOnce(
    analysisId: string,
    lastEventId: string | undefined,
    push: (p: FollowedProgress) => void,
  ) {
    return new Promise<{ lastId: string | undefined; terminal: boolean }>((resolve, reject) => {
      let lastId = lastEventId;
      let terminal = false;
      const sub = trpc.analysis.progress.subscribe(
        { analysisId, ...(lastId ? { lastEventId: lastId } : {}) },
        {
          onData(tracked) {
            lastId = tracked.id;
            if (isTerminalEvent(tracked.data)) terminal = true;
            push({ id: tracked.id, event: tracked.data });
          },
          onError(err) {
            sub.unsubscribe();
            reject(Object.assign(err, { lastId }));
          },
          onComplete: () => resolve({ lastId, terminal }),
        },
      );
    });
  }

  return {
    trpc,

    quoteText: (text: string, opts2: { filename?: string; additionalContext?: string } = {}) =>
      trpc.analysis.quote.mutate({ text, ...opts2 }),

    /** Uploads PDF/DOCX/TXT files for a quote (multipart). */
    async quoteFiles(
      files: { filename: string; data: Uint8Array }[],
      additionalContext?: string,
    ): Promise<Quote> {
      const form = new FormData();
      for (const f of files) form.append('file', new Blob([f.data]), f.filename);
      if (additionalContext) form.append('additionalContext', additionalContext);
      const res = await withAuth(`${baseUrl}/api/quotes`, { method: 'POST', body: form });
      const body = (await res.json()) as Quote | { error: { code: string; message: string } };
      if (!res.ok || 'error' in body)
        throw new Error('error' in body ? body.error.message : `HTTP ${res.status}`);
      return body;
    },

    /** The idempotency key makes a retried submit return the same analysis instead of a second one. */
    submit: (quoteId: string, idempotencyKey: string = crypto.randomUUID()) =>
      trpc.analysis.submit.mutate({ quoteId, idempotencyKey }),

    get: (analysisId: string) => trpc.analysis.get.query({ analysisId }),
    list: (cursor?: string) => trpc.analysis.list.query({ cursor }),
    cancel: (analysisId: string) => trpc.analysis.cancel.mutate({ analysisId }),
    balance: () => trpc.credits.balance.query(),

    /**
     * Progress as an async iterator that survives dropped connections: it reconnects with the last
     * event id (missing nothing, repeating nothing) until the terminal event.
     */
    async *follow(
      analysisId: string,
      from?: { lastEventId?: string; signal?: AbortSignal },
    ): AsyncGenerator<FollowedProgress> {
      let lastId = from?.lastEventId;
      let delay = opts.reconnectDelayMs ?? 500;
      const queue: FollowedProgress[] = [];
      let wake: (() => void) | null = null;
      const push = (p: FollowedProgress) => {
        queue.push(p);
        wake?.();
      };
      while (!from?.signal?.aborted) {
        let outcome: { lastId: string | undefined; terminal: boolean } | Error | undefined;
        const run = streamOnce(analysisId, lastId, push).then(
          (r) => {
            outcome = r;
          },
          (e: Error & { lastId?: string }) => {
            outcome = e;
          },
        );
        while (outcome === undefined || queue.length > 0) {
          const next = queue.shift();
          if (next) {
            lastId = next.id;
            delay = opts.reconnectDelayMs ?? 500;
            yield next;
            if (isTerminalEvent(next.event)) return;
            continue;
          }
          await Promise.race([run, new Promise<void>((r) => (wake = r))]);
          wake = null;
        }
        if (!(outcome instanceof Error) && outcome.terminal) return;
        const code = (outcome as { data?: { code?: string } }).data?.code;
        if (code === 'NOT_FOUND' || code === 'UNAUTHORIZED' || code === 'FORBIDDEN') throw outcome;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 30_000);
      }
    },

    /** Follows the analysis to its end, then returns it with its memo. */
    async waitForResult(analysisId: string, onProgress?: (e: ProgressEvent) => void) {
      for await (const p of this.follow(analysisId)) onProgress?.(p.event);
      return trpc.analysis.get.query({ analysisId });
    },
  };
}

export type RevmemoClient = ReturnType<typeof createRevmemoClient>;
