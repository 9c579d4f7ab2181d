import { createRevmemoClient, type RevmemoError } from '@revmemo/client';
import type { ProgressEvent } from '@revmemo/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestClient, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';
import { waitUntil } from '../support/wait';

// No worker: analyses stay queued, so their progress streams stay open for as long as a test wants.
let stack: Awaited<ReturnType<typeof startProductStack>>;
const PER_USER = 3;

beforeAll(async () => {
  stack = await startProductStack({ workers: 0, extraEnv: { PROGRESS_STREAMS_PER_USER: String(PER_USER) } });
});
afterAll(async () => {
  await stack?.stop();
});

async function userWithAnalysis() {
  const user = await signUp(stack.url);
  const client = trpcClient(stack.url, user.cookie);
  const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
  const { analysisId } = await client.analysis.submit.mutate({
    quoteId: quote.quoteId,
    idempotencyKey: crypto.randomUUID(),
  });
  return { user, client, analysisId };
}

interface Opened {
  data: { id: string; data: ProgressEvent }[];
  error: unknown;
  unsubscribe(): void;
}

/** A stream through the real @trpc/client httpSubscriptionLink (EventSource), as the web app opens it. */
function open(client: TestClient, analysisId: string, lastEventId?: string): Opened {
  const o: Opened = { data: [], error: undefined, unsubscribe: () => undefined };
  const sub = client.analysis.progress.subscribe(
    { analysisId, ...(lastEventId ? { lastEventId } : {}) },
    {
      onData: (d) => o.data.push(d),
      onError: (err) => {
        o.error = err;
      },
    },
  );
  o.unsubscribe = () => sub.unsubscribe();
  return o;
}

describe('analysis.progress over the hand-written SSE route', () => {
  it("speaks tRPC's SSE format: connected, then tracked events with their stream ids", async () => {
    const { user, analysisId } = await userWithAnalysis();
    const input = encodeURIComponent(JSON.stringify({ analysisId }));
    const ac = new AbortController();
    const res = await fetch(`${stack.url}/trpc/analysis.progress?input=${input}`, {
      headers: { cookie: user.cookie, accept: 'text/event-stream' },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/\nid: [^\n]+\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    const [connected, snapshot] = text.split('\n\n\n');
    expect(connected).toBe('event: connected\ndata: {"reconnectAfterInactivityMs":25000}');
    const m = /^data: (.*)\nid: (\d+-\d+)$/.exec(snapshot as string);
    expect(m).not.toBeNull();
    expect(JSON.parse(m?.[1] as string)).toMatchObject({ analysisId, kind: 'snapshot', status: 'queued' });
  });

  it('the real client resumes from a tracked id and gets tRPC-shaped errors', async () => {
    const { client, analysisId } = await userWithAnalysis();
    const first = open(client, analysisId);
    await waitUntil(() => first.data.length === 1, 'the snapshot');
    first.unsubscribe();
    const id = first.data[0]?.id as string;
    expect(first.data[0]?.data.kind).toBe('snapshot');

    // A resume from the snapshot's id with nothing newer sends nothing until the next event.
    const resumed = open(client, analysisId, id);
    const canceled = await client.analysis.cancel.mutate({ analysisId });
    expect(canceled.status).toBe('canceled');
    await waitUntil(() => resumed.data.length > 0, 'the cancel event');
    expect(resumed.data.map((d) => d.data.kind)).toEqual(['canceled']);
    resumed.unsubscribe();

    const other = await userWithAnalysis();
    const foreign = open(other.client, analysisId);
    await waitUntil(() => foreign.error !== undefined, 'the refusal');
    expect(foreign.data).toEqual([]);
    expect(foreign.error).toMatchObject({
      data: { code: 'NOT_FOUND', httpStatus: 404, path: 'analysis.progress' },
    });
    const anonymous = open(trpcClient(stack.url), analysisId);
    await waitUntil(() => anonymous.error !== undefined, 'the refusal');
    expect(anonymous.error).toMatchObject({ data: { code: 'UNAUTHORIZED', httpStatus: 401 } });
  });

  it(`refuses the (${PER_USER}+1)th concurrent stream of a user; closing one lets a new one open`, async () => {
    const { client, analysisId } = await userWithAnalysis();
    const streams = Array.from({ length: PER_USER }, () => open(client, analysisId));
    await waitUntil(() => streams.every((s) => s.data.length === 1), 'every stream to start');

    const refused = open(client, analysisId);
    await waitUntil(() => refused.error !== undefined, 'the refusal');
    expect(refused.data).toEqual([]);
    expect(refused.error).toMatchObject({
      message: expect.stringContaining('Too many open progress streams'),
      data: {
        code: 'TOO_MANY_REQUESTS',
        httpStatus: 429,
        appError: { code: 'RATE_LIMITED', limit: 'progress-streams', retryAfterSeconds: 5 },
      },
    });

    // Another user is not affected.
    const other = await userWithAnalysis();
    const theirs = open(other.client, other.analysisId);
    await waitUntil(() => theirs.data.length === 1, "the other user's stream");
    theirs.unsubscribe();

    streams[0]?.unsubscribe();
    // The server notices the closed connection; then a new stream opens (retried as the client would).
    let reopened: Opened | undefined;
    await waitUntil(async () => {
      reopened?.unsubscribe();
      reopened = open(client, analysisId);
      await waitUntil(() => reopened?.data.length === 1 || reopened?.error !== undefined, 'an answer');
      return reopened.data.length === 1;
    }, 'a new stream after closing one');
    for (const s of [...streams, reopened]) s?.unsubscribe();
  });

  it("the typed client's follow() waits the refusal's Retry-After, then gets in once a slot frees", async () => {
    const { user, client, analysisId } = await userWithAnalysis();
    const streams = Array.from({ length: PER_USER }, () => open(client, analysisId));
    await waitUntil(() => streams.every((s) => s.data.length === 1), 'every stream to start');

    const refusals: (RevmemoError | null)[] = [];
    const revmemo = createRevmemoClient({ baseUrl: stack.url, cookie: user.cookie });
    const ac = new AbortController();
    const following = revmemo.follow(analysisId, {
      signal: ac.signal,
      onReconnecting: (info) => refusals.push(info.error),
    });
    const first = following.next();
    await waitUntil(() => refusals.length > 0, 'the first refusal');
    expect(refusals[0]?.info).toEqual({
      code: 'RATE_LIMITED',
      limit: 'progress-streams',
      retryAfterMs: 5000,
    });
    streams[0]?.unsubscribe();
    const got = await first;
    expect(got.value?.event.kind).toBe('snapshot');
    ac.abort();
    await following.return(undefined);
    for (const s of streams) s.unsubscribe();
  });
});
