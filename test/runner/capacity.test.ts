import { type AnalysisRow, getAnalysis, releaseAnalysis } from '@revmemo/db';
import { createFairGate, type FairGate } from '@revmemo/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedAnalysis, seedUser } from '../support/seed';
import { until } from '../support/wait';
import { workerStack } from './worker-stack';

/**
 * Capacity and fairness across worker processes (docs/capacity.md): the model budget in Redis is one
 * budget for every worker, a 429 pauses them all, and the per-user gate caps and orders each user's
 * analyses whichever worker runs them.
 */
const WINDOW_MS = 4_000;
const R = 3;

let stack: Awaited<ReturnType<typeof workerStack>>;
let gate: FairGate;

beforeAll(async () => {
  stack = await workerStack('capacity', {
    MODEL_REQUESTS_PER_MINUTE: String(R),
    MODEL_BUDGET_WINDOW_MS: String(WINDOW_MS),
    MODEL_TOKENS_PER_MINUTE: '0',
    MAX_RUNNING_PER_USER: '2',
    WORKER_CONCURRENCY: '3',
  });
  gate = createFairGate({
    redis: stack.redis,
    prefix: stack.env.QUEUE_PREFIX as string,
    queue: stack.queue,
    maxRunningPerUser: 2,
    retry: { attempts: 4, backoffMs: 200 },
  });
}, 120_000);
afterEach(async () => {
  await stack.cleanup();
  // The gate and the budget start empty for the next test.
  const prefix = stack.env.QUEUE_PREFIX as string;
  const keys = [
    ...(await stack.redis.keys(`${prefix}:model-budget:*`)),
    ...(await stack.redis.keys(`${prefix}:fair:*`)),
  ];
  if (keys.length) await stack.redis.del(...keys);
});
afterAll(async () => {
  await stack?.close();
});

/** Submitted as the API does: the analysis joins its user's list in the gate, admitted when allowed. */
async function submitVia(userId: string) {
  const a = await seedAnalysis(stack.db, userId);
  await gate.submit(userId, a.analysisId);
  return a;
}

async function finished(id: string) {
  return stack.waitFor(id, (r) => r.status === 'completed', 120_000);
}

describe('one model budget for all workers', () => {
  it(`never lets the model see more than ${R} requests in any ${WINDOW_MS} ms window, with two worker processes`, async () => {
    await Promise.all([stack.worker(), stack.worker()]);
    const user = await seedUser(stack.db, 1_000);
    const other = await seedUser(stack.db, 1_000);
    // Two users so both workers are busy at once (the per-user cap is 2).
    const submitted = [await submitVia(user), await submitVia(user), await submitVia(other)];
    for (const a of submitted) await finished(a.analysisId);

    const arrivals = (await stack.sim.requests()).map((r) => r.at).sort((a, b) => a - b);
    expect(arrivals.length).toBeGreaterThanOrEqual(15); // 3 analyses x 5 steps
    for (let i = 0; i < arrivals.length; i++) {
      const start = arrivals[i] as number;
      const inWindow = arrivals.filter((t) => t >= start && t < start + WINDOW_MS).length;
      expect(inWindow, `requests in the window from request ${i}`).toBeLessThanOrEqual(R);
    }
  }, 180_000);

  it('pauses every worker when one of them gets a 429 with Retry-After', async () => {
    // A budget that never binds here (100 requests per 4 s), so only the 429 can hold them.
    const workers = [
      await stack.worker({ WORKER_CONCURRENCY: '1', MODEL_REQUESTS_PER_MINUTE: '100' }),
      await stack.worker({ WORKER_CONCURRENCY: '1', MODEL_REQUESTS_PER_MINUTE: '100' }),
    ];
    expect(workers).toHaveLength(2);
    await stack.sim.setLatency(300);
    const a = await submitVia(await seedUser(stack.db, 1_000));
    const b = await submitVia(await seedUser(stack.db, 1_000));
    // Each worker holds one of them (concurrency 1 each) before the provider says "slow down".
    await stack.waitFor(a.analysisId, (r) => r.status === 'running');
    await stack.waitFor(b.analysisId, (r) => r.status === 'running');
    await stack.sim.fail('429', 1, { retryAfter: 3 });
    await finished(a.analysisId);
    await finished(b.analysisId);

    const requests = await stack.sim.requests();
    const limited = requests.find((r) => r.outcome === '429');
    expect(limited).toBeDefined();
    const at = limited?.at as number;
    // Requests already on their way when the 429 came may still arrive; after that, nothing from
    // either worker until the provider's 3 s are over.
    const during = requests.filter((r) => r.at > at + 400 && r.at < at + 2_800);
    expect(during.map((r) => r.at - at)).toEqual([]);
    const after = requests.filter((r) => r.at >= at + 2_800);
    expect(after.length).toBeGreaterThan(2);
  }, 180_000);
});

describe('fair across users', () => {
  it('caps running analyses per user across two workers, keeps each user in order, lets another user through', async () => {
    // No sweeps during this test: only the workers' own release may give the slots back.
    const noSweeper = { MODEL_REQUESTS_PER_MINUTE: '0', SWEEPER_INTERVAL_MS: '600000' };
    await Promise.all([stack.worker(noSweeper), stack.worker(noSweeper)]);
    await stack.sim.setLatency(150);
    const busy = await seedUser(stack.db, 1_000);
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push(await submitVia(busy));
    const late = await submitVia(await seedUser(stack.db, 1_000));

    const rows: AnalysisRow[] = [];
    for (const a of burst) rows.push(await finished(a.analysisId));
    const lateRow = await finished(late.analysisId);

    const spans = rows.map((r) => ({ start: at(r.runStartedAt), end: at(r.completedAt) }));
    // At most 2 of the busy user's analyses overlap at any moment, whichever worker ran them.
    for (const s of spans) {
      const overlapping = spans.filter((o) => o.start <= s.start && o.end > s.start).length;
      expect(overlapping).toBeLessThanOrEqual(2);
    }
    // First in, first out: each is admitted into the queue (its BullMQ job created) no earlier than
    // the one submitted before it. Admission, not the start: two admitted together may be picked up
    // by the two workers a few ms apart in either order.
    const admitted = await Promise.all(burst.map((a) => stack.queue.getJob(a.analysisId)));
    for (let i = 1; i < admitted.length; i++)
      expect(admitted[i]?.timestamp, `analysis ${i} admitted before ${i - 1}`).toBeGreaterThanOrEqual(
        admitted[i - 1]?.timestamp ?? Number.POSITIVE_INFINITY,
      );
    const starts = spans.map((s) => s.start);
    expect(Math.min(...starts.slice(2))).toBeGreaterThanOrEqual(Math.max(starts[0] ?? 0, starts[1] ?? 0));
    // The other user's analysis did not wait behind the burst.
    expect(at(lateRow.runStartedAt)).toBeLessThan(starts[3] as number);
    // Every slot was given back (by the worker, just after the analysis completed).
    await until(
      () => stack.redis.keys(`${stack.env.QUEUE_PREFIX}:fair:running:*`),
      (keys) => keys.length === 0,
      'every per-user slot given back',
      10_000,
    );
  }, 180_000);

  it('cancels an analysis held back by the gate: released at once, never run, the next one moves up', async () => {
    await stack.worker({ MODEL_REQUESTS_PER_MINUTE: '0' });
    await stack.sim.setLatency(300);
    const user = await seedUser(stack.db, 1_000);
    const first = [await submitVia(user), await submitVia(user)];
    const held = await submitVia(user);
    const next = await submitVia(user);
    expect(await gate.lookup(held.analysisId)).toMatchObject({ state: 'waiting' });

    // What analysis.cancel does for a job that is not running: release, remove the job, free the place.
    const outcome = await releaseAnalysis(stack.db, {
      analysisId: held.analysisId,
      status: 'canceled',
      errorMessage: 'Canceled by the user.',
    });
    expect(outcome).toBe('released');
    await stack.queue.remove(held.analysisId);
    await gate.finish(held.analysisId);
    expect(await gate.lookup(held.analysisId)).toBeNull();

    for (const a of [...first, next]) await finished(a.analysisId);
    const canceled = await getAnalysis(stack.db, held.analysisId);
    expect(canceled).toMatchObject({ status: 'canceled', finalChargedCredits: 0, attempts: 0 });
  }, 120_000);

  it('frees slots leaked by a process that died before freeing them (the sweeper reconciles)', async () => {
    const user = await seedUser(stack.db, 1_000);
    const admitted = [await submitVia(user), await submitVia(user)];
    const waiting = await submitVia(user);
    expect(await gate.lookup(waiting.analysisId)).toMatchObject({ state: 'waiting' });
    // Both admitted analyses end in Postgres and lose their jobs, but nobody tells the gate (as if
    // the process died right after the commit): nothing would ever free the user's two slots.
    for (const a of admitted) {
      await releaseAnalysis(stack.db, { analysisId: a.analysisId, status: 'canceled', errorMessage: 'x' });
      await stack.queue.remove(a.analysisId);
    }
    // A worker's sweeper (every second here) frees them and admits the user's next one.
    await stack.worker({ MODEL_REQUESTS_PER_MINUTE: '0' });
    await finished(waiting.analysisId);
    for (const a of admitted) expect(await gate.lookup(a.analysisId)).toBeNull();
  }, 120_000);
});

function at(d: Date | null | undefined): number {
  if (!d) throw new Error('missing timestamp');
  return d.getTime();
}
