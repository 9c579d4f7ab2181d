import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { followUntil } from '../support/progress';
import { startProductStack } from '../support/stack';
import { until } from '../support/wait';

/**
 * The queue is visible (docs/capacity.md): a waiting analysis's events and snapshot say how many
 * analyses are ahead of it and when it should start, counting down to "starting".
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({
    latencyMs: 500,
    extraEnv: {
      // One at a time per user, so the user's later analyses visibly wait their turn.
      MAX_RUNNING_PER_USER: '1',
      QUEUE_POSITION_INTERVAL_MS: '200',
    },
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

describe('queue position', () => {
  it('counts down in the events a watcher receives and reaches "starting" when the analysis starts', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: `c${i}.txt` });
      const submitted = await client.analysis.submit.mutate({
        quoteId: quote.quoteId,
        idempotencyKey: crypto.randomUUID(),
      });
      ids.push(submitted.analysisId);
    }
    const last = ids[3] as string;
    // A fresh subscription's snapshot carries the position once the worker has announced it.
    const snapshot = await until(
      async () =>
        (await followUntil(client, { analysisId: last }, (seen) => seen.length > 0)).events[0]?.event,
      (e) => !!e?.queue,
      'a snapshot with a queue position',
    );
    expect(snapshot).toMatchObject({ kind: 'snapshot', status: 'queued', queue: { state: 'waiting' } });
    expect(snapshot?.queue?.ahead).toBeLessThanOrEqual(2);

    const { events, ended } = await followUntil(client, { analysisId: last }, () => false, 120_000);
    expect(ended).toBe('complete');
    expect(events.at(-1)?.event.kind).toBe('completed');

    const waiting = events.filter((e) => e.event.queue?.state === 'waiting').map((e) => e.event);
    const aheads = waiting.map((e) => e.queue?.ahead);
    // The first thing the watcher sees is where it stands: the user's own earlier analyses that have
    // not started yet are ahead (one runs, cap 1), then fewer, then none.
    expect(events[0]?.event.queue?.state).toBe('waiting');
    expect(waiting.every((e) => e.status === 'queued' && e.stage === 'queued')).toBe(true);
    expect(waiting.some((e) => /1 analysis ahead of yours/.test(e.message))).toBe(true);
    expect(aheads.at(-1)).toBe(0);
    // Counting down, never up, through at least one in-between position.
    expect(aheads).toEqual([...aheads].sort((a, b) => (b ?? 0) - (a ?? 0)));
    expect(new Set(aheads).size).toBeGreaterThanOrEqual(2);
    // Estimates appear once steps have been timed.
    expect(waiting.some((e) => e.queue?.startsAt)).toBe(true);
    // Then "starting", on the event that leaves the queue, and no queue state after it.
    const startingAt = events.findIndex((e) => e.event.queue?.state === 'starting');
    expect(startingAt).toBeGreaterThan(0);
    expect(events[startingAt]?.event.stage).toBe('preparation');
    expect(events.slice(startingAt + 1).every((e) => !e.event.queue)).toBe(true);
    expect(events.slice(0, startingAt).every((e) => e.event.queue?.state === 'waiting')).toBe(true);

    // The others ran first, in order, one at a time.
    const rows = await Promise.all(ids.map((analysisId) => client.analysis.get.query({ analysisId })));
    const starts = rows.map((r) => Date.parse(r.runStartedAt ?? ''));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  }, 180_000);

  it('analysis.cancel on an analysis held back by the per-user gate: canceled, never run, nothing charged', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const submit = async (i: number) => {
      const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: `k${i}.txt` });
      return (
        await client.analysis.submit.mutate({ quoteId: quote.quoteId, idempotencyKey: crypto.randomUUID() })
      ).analysisId;
    };
    const running = await submit(0);
    const held = await submit(1);
    const canceled = await client.analysis.cancel.mutate({ analysisId: held });
    expect(canceled).toMatchObject({ status: 'canceled', finalChargedCredits: 0 });
    // Its place was given up: the user's next analysis runs after the first, and the canceled one never.
    const next = await submit(2);
    for (const id of [running, next])
      await until(
        () => client.analysis.get.query({ analysisId: id }),
        (a) => a.status === 'completed',
        `analysis ${id} completed`,
        120_000,
      );
    const after = await client.analysis.get.query({ analysisId: held });
    expect(after).toMatchObject({ status: 'canceled', finalChargedCredits: 0, runStartedAt: null });
  }, 180_000);
});
