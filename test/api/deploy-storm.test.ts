import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestClient, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { PROGRESS_REQUEST, startCutProxy } from '../support/cut-proxy';
import { startServer } from '../support/processes';
import { expectEveryStageOnce, expectNeverBack, type Received } from '../support/progress';
import { startProductStack } from '../support/stack';
import { until, waitUntil } from '../support/wait';

/**
 * A deploy at small scale: 200 browsers (the real httpSubscriptionLink) follow 4 running analyses on
 * one of two web processes behind a load balancer; the balancer moves new connections to the other
 * process and the first gets SIGTERM. Every watcher must resume there by itself (Last-Event-ID) with
 * no stage missed and none repeated. Timing is the benchmark's business (pnpm bench:storm), not this.
 */
const WATCHERS = 200;
const ANALYSES = 4;
let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({
    latencyMs: 1000,
    extraEnv: { WORKER_CONCURRENCY: String(ANALYSES), PROGRESS_STREAMS_PER_USER: String(WATCHERS) },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('a web deploy with hundreds of progress streams open', () => {
  it(`moves ${WATCHERS} watchers to the surviving process with nothing missed or repeated`, async () => {
    const leaving = await startServer({ ...stack.env, WEBSITE_URL: stack.url });
    const balancer = await startCutProxy();
    balancer.forwardTo(leaving.url);
    try {
      const followed: { analysisId: string; client: TestClient }[] = [];
      for (let i = 0; i < ANALYSES; i++) {
        const user = await signUp(stack.url);
        const client = trpcClient(stack.url, user.cookie);
        const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
        const { analysisId } = await client.analysis.submit.mutate({
          quoteId: quote.quoteId,
          idempotencyKey: crypto.randomUUID(),
        });
        followed.push({ analysisId, client: trpcClient(balancer.url, user.cookie) });
      }

      const watchers = Array.from({ length: WATCHERS }, (_, i) => {
        const { analysisId, client } = followed[i % ANALYSES] as (typeof followed)[number];
        const w = { seen: [] as Received[], errors: [] as unknown[], done: false, unsubscribe: () => {} };
        const sub = client.analysis.progress.subscribe(
          { analysisId },
          {
            onData: (t) => w.seen.push({ id: t.id, event: t.data }),
            onError: (err) => w.errors.push(err),
            onComplete: () => {
              w.done = true;
            },
          },
        );
        w.unsubscribe = () => sub.unsubscribe();
        return w;
      });
      // Every stream is open on the leaving process (its snapshot arrived); the analyses are running.
      const state = () => ({
        open: watchers.filter((w) => w.seen.length > 0).length,
        live: watchers.filter((w) => w.seen.some((e) => e.event.kind === 'progress')).length,
        done: watchers.filter((w) => w.done).length,
        errors: watchers.flatMap((w) => w.errors.map(String)).slice(0, 3),
      });
      await until(
        state,
        (s) => s.open === WATCHERS,
        'every watcher connected to the leaving process',
        90_000,
      );
      const stillRunning = watchers.filter((w) => !w.done).length;
      const before = balancer.requests().filter((r) => PROGRESS_REQUEST.test(r)).length;

      // The balancer sends new connections to the survivor; then the deploy stops the old process.
      balancer.forwardTo(stack.url);
      leaving.kill('SIGTERM');
      expect(await leaving.exited).toBe(0);

      await waitUntil(
        () => watchers.every((w) => w.done || w.errors.length > 0),
        'every watcher to finish',
        120_000,
      );
      for (const w of watchers) w.unsubscribe();
      expect(watchers.flatMap((w) => w.errors)).toEqual([]);
      for (const w of watchers) {
        expect(w.seen.at(-1)?.event.kind).toBe('completed');
        expect(w.seen.filter((e) => e.event.kind === 'snapshot')).toHaveLength(1); // resumes, never restarts
        expectNeverBack(w.seen); // no id repeats, nothing steps back
        expectEveryStageOnce(w.seen); // no stage missed
      }
      // Every watcher came back through the balancer with the id it had (to the survivor).
      const resumed = balancer
        .requests()
        .slice(before)
        .filter((r) => PROGRESS_REQUEST.test(r) && /\r\nlast-event-id: \d+-\d+/i.test(r));
      expect(stillRunning).toBeGreaterThan(0);
      expect(resumed.length).toBeGreaterThanOrEqual(stillRunning);
    } finally {
      leaving.kill('SIGKILL');
      await balancer.close();
    }
  }, 240_000);
});
