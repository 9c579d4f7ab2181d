import { type Db, listQueuedOlderThan, listRunning, releaseAnalysis } from '@revmemo/db';
import { startModelSimulator } from '@revmemo/model-simulator';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createRedisConnection,
  enqueueAnalysis,
} from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { simulatorControl } from '../support/model';
import { type AppProcess, stackEnv, startWorker } from '../support/processes';
import { seedAnalysis, seedUser } from '../support/seed';
import { waitUntil } from '../support/wait';
import { waitForAnalysis } from './fixture';

/**
 * The worker as production runs it: its own OS process, killed and restarted. Every analysis must
 * end completed with exactly one charge, or failed with none.
 */
let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let redis: Redis;
let queue: AnalysisQueue;
let sim: Awaited<ReturnType<typeof startModelSimulator>>;
let env: Record<string, string>;
let userId: string;
const running: AppProcess[] = [];
const retry = { attempts: 4, backoffMs: 200 };

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  redis = createRedisConnection(redisUrl());
  sim = await startModelSimulator({ latencyMs: 0 });
  env = stackEnv({
    databaseUrl: database.url,
    redisUrl: redisUrl(),
    modelUrl: sim.url,
    prefix: uniquePrefix('worker'),
    extra: { LOG_LEVEL: 'info' },
  });
  queue = createAnalysisQueue({ connection: redis, prefix: env.QUEUE_PREFIX as string, eventsMaxLen: 5000 });
  userId = await seedUser(db, 1000);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  // A failed test must not leave work behind for the next one's worker.
  const open = [
    ...(await listQueuedOlderThan(db, new Date(Date.now() + 60_000))),
    ...(await listRunning(db)),
  ];
  for (const a of open)
    await releaseAnalysis(db, { analysisId: a.analysisId, status: 'canceled', errorMessage: 'test cleanup' });
  await queue.obliterate({ force: true });
  await simulator().reset();
});

afterAll(async () => {
  await expectLedgerHealthy(db);
  await queue.close();
  redis.disconnect();
  await sim.close();
  await database.close();
});

async function worker(extra: Record<string, string> = {}) {
  const w = await startWorker({ ...env, ...extra });
  running.push(w);
  return w;
}

/** The simulated model's control API (latency, failures, reset). */
const simulator = () => simulatorControl(sim.url);

async function submitted() {
  const a = await seedAnalysis(db, userId);
  await enqueueAnalysis(queue, a.analysisId, retry);
  return a;
}

describe('the worker process', () => {
  it('announces itself and keeps a heartbeat key with a TTL', async () => {
    const w = await worker();
    const started = w
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string })
      .find((l) => l.msg?.startsWith('Worker started'));
    expect(started?.msg).toBe('Worker started. Waiting for jobs on queue "analysis"');
    const key = `${env.QUEUE_PREFIX}:workers:*:${w.child.pid}`;
    const [found] = (await redis.keys(key)) as string[];
    expect(found).toBeDefined();
    const ttl = await redis.ttl(found as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    await w.stop();
    expect(await redis.exists(found as string)).toBe(0); // a clean stop removes it at once
  });

  it('survives SIGKILL mid-analysis: another worker completes it, one charge', async () => {
    await simulator().setLatency(250);
    const a = await submitted();
    const first = await worker();
    await waitForAnalysis(db, a.analysisId, (r) => r.progressStage === 'obligations');
    first.kill('SIGKILL');
    await first.exited;
    await simulator().setLatency(0);
    await worker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed', 45_000);
    expect(row.finalChargedCredits).toBe(a.quotedCredits);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'captured' });
  });

  it('on SIGTERM mid-job finishes the stage, hands the job back, exits 0; the next worker completes it', async () => {
    // A long lock: a job that was not handed back stays active (locked) well past the exit, so the
    // state right after the exit tells a hand-back from an abandoned job.
    const longLock = { WORKER_LOCK_DURATION_MS: '15000', WORKER_STALLED_INTERVAL_MS: '5000' };
    await simulator().setLatency(250);
    const a = await submitted();
    const first = await worker(longLock);
    await waitForAnalysis(db, a.analysisId, (r) => r.progressStage === 'contract');
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await first.waitFor(/handed back/, 5_000); // stdout may trail the exit event
    expect(first.output()).not.toMatch(/"level":(50|60)/); // no errors on the way out
    // Handed back: waiting for the next worker, not active under a dead worker's lock.
    expect(await queue.getJobState(a.analysisId)).toBe('waiting');
    await simulator().setLatency(0);
    await worker(longLock);
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed', 45_000);
    expect(row.finalChargedCredits).toBe(a.quotedCredits);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
  });

  it('on SIGTERM during a model call longer than the grace period: cuts the call, hands the job back, exits 0', async () => {
    await simulator().setLatency(10 * 60_000); // a provider that would keep the call open for ten minutes
    const a = await submitted();
    const first = await worker({ WORKER_SHUTDOWN_GRACE_MS: '1000', WORKER_LOCK_DURATION_MS: '15000' });
    await waitUntil(
      async () => (await simulator().stats()).calls >= 1,
      'the worker to be inside a model call',
    );
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await first.waitFor(/handed back/, 5_000);
    expect(first.output()).toMatch(/grace period over: aborting in-flight model calls/);
    // The call was cut, not answered, and the job is back in the queue for the next worker.
    expect((await simulator().stats()).requests.map((r) => r.outcome)).toEqual(['client-closed']);
    expect(await queue.getJobState(a.analysisId)).toBe('waiting');
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
    await simulator().setLatency(0);
    await worker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed', 45_000);
    expect(row.finalChargedCredits).toBe(a.quotedCredits);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'captured' });
  });

  it('fails a permanent error for good: released, nothing charged', async () => {
    await simulator().fail('400', 1);
    const a = await submitted();
    await worker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'failed');
    expect(row.finalChargedCredits).toBe(0);
    expect(row.errorMessage).toBe(
      'The AI model rejected the request for this contract. Nothing was charged.',
    );
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'released' });
  });

  it('with one try per step, the job-level retry resumes at the failed step and charges once', async () => {
    await simulator().fail('500', 2);
    const a = await submitted();
    await worker({ MODEL_STEP_TRIES: '1' });
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed', 45_000);
    expect(row.attempts).toBe(3);
    expect(row.modelCalls).toBe(7); // 2 failed tries of step 1, then 5 steps: nothing redone
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
  });

  it('re-drives a submitted analysis whose enqueue was lost (sweeper)', async () => {
    const a = await seedAnalysis(db, userId); // committed, never enqueued: the crash between the two
    await db.execute(
      // Backdate past the sweeper's grace period instead of waiting 30 s.
      (await import('drizzle-orm'))
        .sql`UPDATE analyses SET started_at = now() - interval '5 minutes' WHERE analysis_id = ${a.analysisId}`,
    );
    await worker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed', 45_000);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
    expect(row.finalChargedCredits).toBe(a.quotedCredits);
  });
});
