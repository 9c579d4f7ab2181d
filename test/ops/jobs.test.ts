import { captureAnalysis, type Db, getAnalysis, getBalance, releaseAnalysis } from '@revmemo/db';
import { startModelSimulator } from '@revmemo/model-simulator';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createAnalysisWorker,
  createRedisConnection,
  enqueueAnalysis,
  UnrecoverableError,
} from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { chargesFor, expectLedgerHealthy } from '../support/ledger';
import { type AppProcess, stackEnv, startWorker } from '../support/processes';
import { seedAnalysis, seedUser } from '../support/seed';
import { until } from '../support/wait';
import { runOps } from './support';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let redis: Redis;
let queue: AnalysisQueue;
let sim: Awaited<ReturnType<typeof startModelSimulator>>;
let env: Record<string, string>;
let worker: AppProcess | undefined;

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  redis = createRedisConnection(redisUrl());
  sim = await startModelSimulator({ latencyMs: 0 });
  env = stackEnv({
    databaseUrl: database.url,
    redisUrl: redisUrl(),
    modelUrl: sim.url,
    prefix: uniquePrefix('opsjobs'),
  });
  queue = createAnalysisQueue({ connection: redis, prefix: env.QUEUE_PREFIX as string, eventsMaxLen: 1000 });
});

afterAll(async () => {
  await worker?.stop();
  await expectLedgerHealthy(db);
  await queue.close();
  redis.disconnect();
  await sim.close();
  await database.close();
});

/** Drives the analysis's job into BullMQ's failed set, as a crash after the database work would. */
async function failJob(analysisId: string, reason: string) {
  await enqueueAnalysis(queue, analysisId, { attempts: 1, backoffMs: 10 });
  const w = createAnalysisWorker({
    connection: redis,
    prefix: env.QUEUE_PREFIX as string,
    concurrency: 1,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    processor: async () => {
      throw new UnrecoverableError(reason);
    },
  });
  await until(
    () => queue.getJobState(analysisId),
    (s) => s === 'failed',
    `job ${analysisId} to fail`,
  );
  await w.close();
}

it('lists failed jobs with reasons; retrying one whose analysis was charged charges nothing', async () => {
  const userId = await seedUser(db, 100);
  const charged = await seedAnalysis(db, userId);
  await captureAnalysis(db, { analysisId: charged.analysisId, memoContent: '# memo' });
  await failJob(charged.analysisId, 'lost the lock after capture');
  const released = await seedAnalysis(db, userId);
  await releaseAnalysis(db, {
    analysisId: released.analysisId,
    status: 'failed',
    errorMessage: 'The document could not be read. Nothing was charged.',
  });
  await failJob(released.analysisId, 'unreadable document');
  const before = await getBalance(db, userId);

  worker = await startWorker(env);
  const list = await runOps(['jobs', 'failed'], env);
  expect(list.code, list.output).toBe(0);
  expect(list.output).toContain('2 failed job(s)');
  expect(list.output).toMatch(
    new RegExp(`${charged.analysisId} .+analysis completed .+reason: lost the lock after capture`),
  );
  expect(list.output).toMatch(
    new RegExp(`${released.analysisId} .+analysis failed .+reason: unreadable document`),
  );

  const retry = await runOps(['jobs', 'failed', '--retry', charged.analysisId], env);
  expect(retry.code, retry.output).toBe(0);
  expect(retry.output).toMatch(/^✓ retried .+ already completed and charged 10: .+charges nothing$/m);
  await until(
    () => queue.getJobState(charged.analysisId),
    (s) => s === 'completed',
    'the retried job of the charged analysis to complete',
  );
  expect(await chargesFor(db, charged.memoUuid)).toHaveLength(1);

  const all = await runOps(['jobs', 'failed', '--retry-all'], env);
  expect(all.code, all.output).toBe(0);
  expect(all.output).toMatch(/^✓ retried .+ is failed \(nothing charged\): it stays failed/m);
  await until(
    () => queue.getJobState(released.analysisId),
    (s) => s === 'completed',
    'the retried job of the released analysis to complete',
  );
  expect((await getAnalysis(db, released.analysisId))?.status).toBe('failed');
  expect(await chargesFor(db, released.memoUuid)).toHaveLength(0);
  expect(await getBalance(db, userId)).toEqual(before);

  const none = await runOps(['jobs', 'failed', '--retry', charged.analysisId], env);
  expect(none.code).toBe(1);
  expect(none.output).toMatch(/^✗ retry: job .+ is completed, not failed/m);
}, 180_000); // four `pnpm ops` processes and a worker, each compiling with tsx on a shared machine
