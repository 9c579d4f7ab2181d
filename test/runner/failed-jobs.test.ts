import { type Db, getAnalysis, markRunning } from '@revmemo/db';
import {
  type AnalysisProcessor,
  type AnalysisWorker,
  createAnalysisQueue,
  createAnalysisWorker,
  createProgressPublisher,
  createRedisConnection,
  enqueueAnalysis,
} from '@revmemo/queue';
import { releaseFailedJob } from '@revmemo/runner';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { seedAnalysis, seedUser } from '../support/seed';
import { until } from '../support/wait';
import { silentLog, waitForAnalysis } from './fixture';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
const redis = createRedisConnection(redisUrl());
const prefix = uniquePrefix('stalls');
const queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: 1000 });
const publisher = createProgressPublisher({ connection: redis, prefix });

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
});

afterAll(async () => {
  await expectLedgerHealthy(db);
  await publisher.close();
  await queue.close();
  redis.disconnect();
  await database.close();
});

function worker(processor: AnalysisProcessor): AnalysisWorker {
  const w = createAnalysisWorker({
    connection: redis,
    prefix,
    concurrency: 1,
    lockDurationMs: 400,
    stalledIntervalMs: 250,
    // The backstop under test: the handler's own poison rule is judged by progress (test/runner/poison.test.ts).
    maxStalledCount: 2,
    processor,
  });
  w.on('failed', (job, err) => void releaseFailedJob({ db, publisher, log: silentLog }, job, err));
  return w;
}

it('releases an analysis whose job kept killing its worker (stalled past the limit)', async () => {
  const userId = await seedUser(db, 100);
  const a = await seedAnalysis(db, userId);
  await enqueueAnalysis(queue, a.analysisId, { attempts: 4, backoffMs: 10 });
  let pickups = 0;
  // A contract that crashes its worker every time: the processor hangs and the "process" dies.
  for (let crash = 0; crash < 3; crash++) {
    const seen = pickups;
    const w = worker(async (job) => {
      pickups += 1;
      await markRunning(db, job.data.analysisId);
      return new Promise(() => undefined);
    });
    await until(
      async () => pickups,
      (n) => n > seen,
      `pickup ${crash + 1} of the crashing job`,
      20_000,
    );
    await w.close(true); // no lock renewal from here on, as after SIGKILL
  }
  // The next worker's stalled check finds the third stall; BullMQ fails the job, our handler releases.
  const last = worker(async () => 'should not run');
  const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'failed', 20_000);
  await last.close();
  expect(pickups).toBe(3);
  expect(row).toMatchObject({
    finalChargedCredits: 0,
    errorMessage: expect.stringMatching(/Nothing was charged/),
  });
  expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'released' });
  expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
  expect(await queue.getJobState(a.analysisId)).toBe('failed');
  expect((await getAnalysis(db, a.analysisId))?.status).toBe('failed');
});
