import {
  type Db,
  getAnalysis,
  listQueuedOlderThan,
  listRunning,
  markRunning,
  releaseAnalysis,
} from '@revmemo/db';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createAnalysisWorker,
  createProgressPublisher,
  createRedisConnection,
  enqueueAnalysis,
  type ProgressPublisher,
  UnrecoverableError,
} from '@revmemo/queue';
import { createSweeper } from '@revmemo/runner';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { seedAnalysis, seedUser } from '../support/seed';
import { waitUntil } from '../support/wait';

const silent = { info() {}, warn() {}, error() {} };
const retry = { attempts: 2, backoffMs: 10 };
let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let redis: Redis;
let queue: AnalysisQueue;
let publisher: ProgressPublisher;
let prefix: string;
let userId: string;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  redis = createRedisConnection(redisUrl());
  prefix = uniquePrefix('sweep');
  queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: 1000 });
  publisher = createProgressPublisher({ connection: redis, prefix });
  userId = await seedUser(db, 1000);
});

// Each test starts from a clean slate: nothing queued or running, no jobs.
afterEach(async () => {
  const open = [
    ...(await listQueuedOlderThan(db, new Date(Date.now() + 60_000))),
    ...(await listRunning(db)),
  ];
  for (const a of open)
    await releaseAnalysis(db, { analysisId: a.analysisId, status: 'canceled', errorMessage: 'test cleanup' });
  await queue.obliterate({ force: true });
});

afterAll(async () => {
  await expectLedgerHealthy(db);
  await publisher.close();
  await queue.close();
  redis.disconnect();
  await database.close();
});

const sweeper = (queuedGraceMs = 0) =>
  createSweeper({ db, queue, publisher, redis, prefix, intervalMs: 1000, retry, log: silent, queuedGraceMs });

describe('sweeper', () => {
  it('enqueues a queued analysis whose enqueue was lost, once', async () => {
    const a = await seedAnalysis(db, userId);
    expect(await sweeper(60_000).sweepOnce()).toMatchObject({ skipped: false, requeued: [] }); // still in its grace period
    expect((await sweeper().sweepOnce()).requeued).toEqual([a.analysisId]);
    expect(await queue.getJobState(a.analysisId)).toBe('waiting');
    expect((await sweeper().sweepOnce()).requeued).toEqual([]);
  });

  it('re-enqueues a running analysis whose job vanished', async () => {
    const a = await seedAnalysis(db, userId);
    await markRunning(db, a.analysisId);
    expect((await sweeper().sweepOnce()).requeued).toEqual([a.analysisId]);
    expect(await queue.getJobState(a.analysisId)).toBe('waiting');
  });

  it('releases a running analysis whose job BullMQ already failed', async () => {
    const a = await seedAnalysis(db, userId);
    await markRunning(db, a.analysisId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    // A processor that dies without touching Postgres, as a worker killed between fail and release would.
    const worker = createAnalysisWorker({
      connection: redis,
      prefix,
      concurrency: 1,
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      processor: async () => {
        throw new UnrecoverableError('lost');
      },
    });
    await waitUntil(async () => (await queue.getJobState(a.analysisId)) === 'failed', 'the job to fail');
    await worker.close();

    expect((await sweeper().sweepOnce()).released).toEqual([a.analysisId]);
    const row = await getAnalysis(db, a.analysisId);
    expect(row).toMatchObject({ status: 'failed', finalChargedCredits: 0 });
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'released' });
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
  });

  it('lets one sweeper at a time work', async () => {
    const a = await seedAnalysis(db, userId);
    const results = await Promise.all([sweeper().sweepOnce(), sweeper().sweepOnce(), sweeper().sweepOnce()]);
    expect(results.filter((r) => !r.skipped)).toHaveLength(1);
    expect(results.flatMap((r) => r.requeued)).toEqual([a.analysisId]);
    // The lock is released after a sweep, so the next interval runs.
    expect((await sweeper().sweepOnce()).skipped).toBe(false);
  });
});
