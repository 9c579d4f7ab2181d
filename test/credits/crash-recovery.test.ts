import { createRedisConnection } from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { redisUrl } from '../support/harness';
import { chargesFor, expectLedgerHealthy, holdOf, userIdByEmail } from '../support/ledger';
import { startWorker } from '../support/processes';
import { followUntil } from '../support/progress';
import { startProductStack } from '../support/stack';

/**
 * The worker is SIGKILLed at the two worst moments for money: after the model answered but before
 * the capture committed, and right after the capture committed (before the job was acknowledged).
 * Both are made deterministic from outside the process: a row lock held by the test stalls the
 * capture; CLIENT PAUSE WRITE on Redis stalls everything the worker does after the commit.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let lockSql: postgres.Sql;
const redis = createRedisConnection(redisUrl());

beforeAll(async () => {
  stack = await startProductStack({ latencyMs: 300, extraEnv: { WORKER_STALLED_INTERVAL_MS: '1000' } });
  lockSql = postgres(stack.databaseUrl, { max: 2, onnotice: () => undefined });
});
afterAll(async () => {
  await redis.quit();
  await lockSql?.end();
  await stack?.stop();
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

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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

    stack.workers.push(await startWorker(stack.env));
    // The stalled job is picked up again; the analysis is terminal, so it only republishes the end.
    const { events } = await followUntil(client, { analysisId: s.analysisId });
    expect(events.at(-1)?.event.kind).toBe('completed');
    await waitUntil(
      async () => (await jobState(s.analysisId)) !== 'active',
      'the job to leave active',
      30_000,
    );
    expect((await chargesFor(stack.db, s.memoUuid)).map((c) => c.amount)).toEqual([-q.credits]);
    const a = await client.analysis.get.query({ analysisId: s.analysisId });
    expect(a.status).toBe('completed');
    expect(a.memoContent).toContain('ASC 606');
    expect(a.finalChargedCredits).toBe(q.credits);
  });
});

async function jobState(jobId: string): Promise<string> {
  const prefix = stack.env.QUEUE_PREFIX;
  const isActive = await redis.lpos(`${prefix}:analysis:active`, jobId);
  return isActive === null ? 'not-active' : 'active';
}
