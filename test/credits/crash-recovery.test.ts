import { startRedis } from '@revmemo/devstack';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createProgressHub,
  createRedisConnection,
} from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { chargesFor, expectLedgerHealthy, holdOf, userIdByEmail } from '../support/ledger';
import { startWorker } from '../support/processes';
import { followUntil } from '../support/progress';
import { startProductStack } from '../support/stack';
import { until, waitUntil } from '../support/wait';

/**
 * The worker is SIGKILLed at the two worst moments for money: after the model answered but before
 * the capture committed, and right after the capture committed (before the job was acknowledged).
 * Both are made deterministic from outside the process: a row lock held by the test stalls the
 * capture; CLIENT PAUSE WRITE on Redis stalls everything the worker does after the commit. The pause
 * freezes a whole redis-server, so this file runs on one of its own.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let lockSql: postgres.Sql;
let ownRedis: Awaited<ReturnType<typeof startRedis>>;
let redis: Redis;
let queue: AnalysisQueue;

beforeAll(async () => {
  ownRedis = await startRedis({});
  redis = createRedisConnection(ownRedis.url);
  stack = await startProductStack({
    latencyMs: 300,
    redisUrl: ownRedis.url,
    extraEnv: { WORKER_STALLED_INTERVAL_MS: '1000' },
  });
  queue = createAnalysisQueue({
    connection: redis,
    prefix: stack.env.QUEUE_PREFIX as string,
    eventsMaxLen: 5000,
  });
  lockSql = postgres(stack.databaseUrl, { max: 2, onnotice: () => undefined });
});
afterAll(async () => {
  await queue?.close();
  await redis?.quit();
  await lockSql?.end();
  await stack?.stop();
  await ownRedis?.stop();
});
afterEach(async () => {
  await expectLedgerHealthy(stack.db);
});

/** Holds the user's credit account row locked until `release()`; the capture waits on it. */
async function lockAccount(userId: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => {
    locked = r;
  });
  const tx = lockSql.begin(async (t) => {
    await t`SELECT balance FROM credit_accounts WHERE user_id = ${userId} FOR UPDATE`;
    locked();
    await released;
  });
  await isLocked;
  return { release, done: tx };
}

/** Some backend of this database is waiting on a row lock: the worker's capture transaction. */
async function captureIsBlocked(): Promise<boolean> {
  const rows = await lockSql`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return (rows[0]?.n ?? 0) > 0;
}

async function setUp() {
  const user = await signUp(stack.url);
  const client = trpcClient(stack.url, user.cookie);
  const userId = await userIdByEmail(stack.db, user.email);
  const q = await client.analysis.quote.mutate({ text: SMALL_CONTRACT });
  return { client, userId, q };
}

describe('a worker killed around the capture', () => {
  it('before the capture commits: the next worker completes it and charges once', async () => {
    const { client, userId, q } = await setUp();
    const worker = stack.workers.shift();
    // Submit locks the account too: take the lock after it commits (the pipeline still runs for seconds).
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const lock = await lockAccount(userId);
    await waitUntil(captureIsBlocked, 'the capture to wait on the account lock');
    worker?.kill('SIGKILL');
    await worker?.exited;
    lock.release();
    await lock.done;
    expect(await chargesFor(stack.db, s.memoUuid)).toHaveLength(0);

    stack.workers.push(await startWorker(stack.env));
    const { events } = await followUntil(client, { analysisId: s.analysisId });
    expect(events.at(-1)?.event.kind).toBe('completed');
    const a = await client.analysis.get.query({ analysisId: s.analysisId });
    expect(a.memoContent).toContain('ASC 606');
    expect((await chargesFor(stack.db, s.memoUuid)).map((c) => c.amount)).toEqual([-q.credits]);
    expect((await holdOf(stack.db, s.memoUuid))?.status).toBe('captured');
  });

  it('right after the capture commits: the next worker charges nothing more and the job ends', async () => {
    const { client, userId, q } = await setUp();
    const worker = stack.workers.shift();
    // Submit locks the account too: take the lock after it commits (the pipeline still runs for seconds).
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const lock = await lockAccount(userId);
    await waitUntil(captureIsBlocked, 'the capture to wait on the account lock');
    // Freeze the worker's Redis writes (publish, job completion), then let the capture commit.
    await redis.call('CLIENT', 'PAUSE', '20000', 'WRITE');
    try {
      lock.release();
      await lock.done;
      await waitUntil(async () => {
        const rows = await stack.db.execute(
          sql`SELECT status FROM analyses WHERE analysis_id = ${s.analysisId}`,
        );
        return rows[0]?.status === 'completed';
      }, 'the capture to commit');
      worker?.kill('SIGKILL');
      await worker?.exited;
    } finally {
      await redis.call('CLIENT', 'UNPAUSE');
    }
    expect(await chargesFor(stack.db, s.memoUuid)).toHaveLength(1);

    // The job is still active under the dead worker's lock: nobody acknowledged it.
    expect(await queue.getJobState(s.analysisId)).toBe('active');
    stack.workers.push(await startWorker(stack.env));
    // The restarted worker takes the stalled job over, finds the analysis already charged and ends the
    // job without running the pipeline again; the terminal event it republishes reaches a follower.
    const job = await until(
      () => queue.getJob(s.analysisId),
      (j) => j?.finishedOn !== undefined,
      'the restarted worker to finish the stalled job',
      30_000,
    );
    expect(job?.returnvalue).toBe('already-terminal');
    const hub = createProgressHub({ connection: redis, prefix: stack.env.QUEUE_PREFIX as string });
    try {
      await hub.ready();
      const { events } = await hub.backfill(s.analysisId, '0-0');
      // The killed worker's publish never left the paused connection; this one is the restarted worker's.
      expect(events.filter((e) => e.event.kind === 'completed')).toHaveLength(1);
      expect(events.at(-1)?.event).toMatchObject({ kind: 'completed', status: 'completed', percent: 100 });
    } finally {
      await hub.close();
    }
    const { events } = await followUntil(client, { analysisId: s.analysisId });
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toMatchObject({ kind: 'completed', status: 'completed' });
    expect((await chargesFor(stack.db, s.memoUuid)).map((c) => c.amount)).toEqual([-q.credits]);
    const a = await client.analysis.get.query({ analysisId: s.analysisId });
    expect(a.status).toBe('completed');
    expect(a.memoContent).toContain('ASC 606');
    expect(a.finalChargedCredits).toBe(q.credits);
  });
});
