import { eventFromStored, PIPELINE_STAGES } from '@revmemo/contracts';
import { type Db, getAnalysis, releaseAnalysis } from '@revmemo/db';
import { NOT_PERFORMED_TITLE } from '@revmemo/engine';
import { startModelSimulator } from '@revmemo/model-simulator';
import {
  type AnalysisQueue,
  type AnalysisWorker,
  createAnalysisQueue,
  createAnalysisWorker,
  createProgressPublisher,
  createRedisConnection,
  enqueueAnalysis,
  type ProgressHub,
  type ProgressPublisher,
  requeueAnalysis,
} from '@revmemo/queue';
import { createAnalysisProcessor, releaseFailedJob } from '@revmemo/runner';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { expectSimulatedMemo } from '../support/memo';
import { simulatorControl } from '../support/model';
import { seedAnalysis, seedUser } from '../support/seed';
import { until } from '../support/wait';
import { eventsOf, silentLog, simulatedModel, startHub, waitForAnalysis } from './fixture';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let redis: Redis;
let queue: AnalysisQueue;
let publisher: ProgressPublisher;
let hub: ProgressHub;
let sim: Awaited<ReturnType<typeof startModelSimulator>>;
let prefix: string;
let userId: string;
const workers: AnalysisWorker[] = [];
const retry = { attempts: 3, backoffMs: 50 };

beforeAll(async () => {
  database = await freshDatabase();
  db = database.db;
  redis = createRedisConnection(redisUrl());
  prefix = uniquePrefix('handler');
  queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: 5000 });
  publisher = createProgressPublisher({ connection: redis, prefix });
  hub = startHub(redis, prefix);
  sim = await startModelSimulator({ latencyMs: 0 });
  userId = await seedUser(db, 1000);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await simulator().reset();
});

afterAll(async () => {
  await expectLedgerHealthy(db);
  await hub.close();
  await publisher.close();
  await queue.close();
  redis.disconnect();
  await sim.close();
  await database.close();
});

function startWorker(opts: { stopping?: AbortSignal } = {}) {
  const worker = createAnalysisWorker({
    connection: redis,
    prefix,
    concurrency: 2,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    processor: createAnalysisProcessor({
      db,
      publisher,
      model: simulatedModel(sim.url),
      log: silentLog,
      stopping: opts.stopping ?? new AbortController().signal,
    }),
  });
  worker.on('failed', (job, err) => void releaseFailedJob({ db, publisher, log: silentLog }, job, err));
  workers.push(worker);
  return worker;
}

/** The simulated model's control API (latency, failures, reset). */
const simulator = () => simulatorControl(sim.url);

/**
 * An analysis whose step 1 is under way (each model call takes `latencyMs`), then canceled. With
 * `publish`, as analysis.cancel does: released, then the stored state published, which sets the
 * ended marker the running worker watches.
 */
async function runningThenCanceled(latencyMs: number, opts: { publish: boolean }) {
  await simulator().setLatency(latencyMs);
  const a = await seedAnalysis(db, userId);
  await enqueueAnalysis(queue, a.analysisId, retry);
  startWorker();
  await waitForAnalysis(db, a.analysisId, (r) => r.progressStage === 'contract');
  await releaseAnalysis(db, {
    analysisId: a.analysisId,
    status: 'canceled',
    errorMessage: 'Canceled by the user.',
  });
  const row = await getAnalysis(db, a.analysisId);
  if (opts.publish && row) await publisher.publish(eventFromStored(row));
  return a;
}

describe('the analysis job', () => {
  it('runs the pipeline, charges once, and publishes every stage then completed', async () => {
    const a = await seedAnalysis(db, userId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    startWorker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed');
    expectSimulatedMemo(row.memoContent);
    expect(row.finalChargedCredits).toBe(a.quotedCredits);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'captured' });
    const events = await until(
      () => eventsOf(hub, a.analysisId),
      (e) => e.at(-1)?.kind === 'completed',
      'the completed event on the stream',
    );
    expect(events.filter((e) => e.kind === 'progress').map((e) => e.stage)).toEqual([...PIPELINE_STAGES]);
    expect(events.at(-1)).toMatchObject({ kind: 'completed', status: 'completed', percent: 100 });
  });

  it('an unsigned draft: step 1 finds no contract, the short memo is saved with a fifth of the charge', async () => {
    const a = await seedAnalysis(db, userId, { contract: 'unsigned-draft.txt', credits: 10 });
    await enqueueAnalysis(queue, a.analysisId, retry);
    startWorker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed');
    expect(row.memoContent).toContain(`## ${NOT_PERFORMED_TITLE}`);
    expect(row.memoContent).not.toContain('## Step 2:');
    expect(row.structured).toMatchObject({
      endedAtStep1: true,
      steps: { contract: { outcome: 'no_contract_yet' } },
    });
    expect(Object.keys((row.structured as { steps: object }).steps)).toEqual(['contract']);
    expect(row.modelCalls).toBe(1);
    expect(row.finalChargedCredits).toBe(2);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'captured' });
    const events = await until(
      () => eventsOf(hub, a.analysisId),
      (e) => e.at(-1)?.kind === 'completed',
      'the completed event on the stream',
    );
    expect(events.filter((e) => e.kind === 'progress').map((e) => e.stage)).toEqual([
      'preparation',
      'contract',
      'memo',
    ]);
  });

  it('does nothing but republish the outcome when the job runs again for a finished analysis', async () => {
    const a = await seedAnalysis(db, userId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    startWorker();
    await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed');
    await until(
      () => queue.getJobState(a.analysisId),
      (s) => s === 'completed',
      'the job to complete',
    );
    const completedEvents = async () =>
      (await eventsOf(hub, a.analysisId)).filter((e) => e.kind === 'completed').length;
    expect(await completedEvents()).toBe(1);
    expect(await requeueAnalysis(queue, a.analysisId, retry)).toBe(true);
    await until(completedEvents, (n) => n === 2, 'a second completed event from the re-run');
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
  });

  it('stops at the next stage boundary when the analysis is canceled', async () => {
    // Released only: no ended marker, so the run finds out at its next write.
    const a = await runningThenCanceled(300, { publish: false });
    await until(
      () => queue.getJobState(a.analysisId),
      (s) => s === 'completed',
      'the canceled job to end',
    );
    const row = await getAnalysis(db, a.analysisId);
    expect(row).toMatchObject({ status: 'canceled', finalChargedCredits: 0, memoContent: null });
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
    const stages = (await eventsOf(hub, a.analysisId)).map((e) => e.stage);
    expect(stages).not.toContain('price'); // it stopped instead of running on
  });

  it('a cancel while the model works cuts its request: the job ends canceled, not retried or failed, nothing charged', async () => {
    const a = await runningThenCanceled(8_000, { publish: true });
    const job = await until(
      () => queue.getJob(a.analysisId),
      (j) => j?.finishedOn !== undefined,
      'the job to finish',
    );
    expect({ returned: job?.returnvalue, failedReason: job?.failedReason }).toEqual({
      returned: 'canceled',
      failedReason: undefined,
    });
    // Hung up on while the model was still "thinking", instead of waiting out its 8 s.
    const calls = await simulator().requests();
    expect(calls.map((c) => c.outcome)).toEqual(['client-closed']);
    // The cut request still counts in the analysis's totals (the provider may bill it).
    expect((await getAnalysis(db, a.analysisId))?.modelCalls).toBe(1);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
  });

  it('fails at once on a permanent error: released, not charged, not retried', async () => {
    await simulator().fail('400', 1);
    const a = await seedAnalysis(db, userId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    startWorker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'failed');
    expect(row.finalChargedCredits).toBe(0);
    expect(row.errorMessage).toMatch(/Nothing was charged/);
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'released' });
    const job = await until(
      () => queue.getJob(a.analysisId),
      (j) => j?.finishedOn !== undefined,
      'the job to finish',
    );
    expect(job?.attemptsMade).toBe(1);
    expect((await eventsOf(hub, a.analysisId)).at(-1)).toMatchObject({ kind: 'failed', status: 'failed' });
  });

  it('retries transient errors inside the step, says so on the bar, then completes and charges once', async () => {
    await simulator().fail('500', 2);
    const a = await seedAnalysis(db, userId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    startWorker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed');
    expect(row.attempts).toBe(1); // no job-level retry: the step rode it out
    expect(row.modelCalls).toBe(7); // 2 failed tries + 5 answered steps, all counted
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
    const notices = (await eventsOf(hub, a.analysisId)).flatMap((e) => (e.notice ? [e.notice] : []));
    expect(notices).toEqual([
      expect.objectContaining({ type: 'retrying', stage: 'contract', attempt: 2, maxAttempts: 3 }),
      expect.objectContaining({ type: 'retrying', stage: 'contract', attempt: 3, maxAttempts: 3 }),
    ]);
  });

  it('fails and releases when transient errors outlast the attempts', async () => {
    await simulator().fail('429', 50);
    const a = await seedAnalysis(db, userId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    startWorker();
    const row = await waitForAnalysis(db, a.analysisId, (r) => r.status === 'failed');
    expect(row.errorMessage).toMatch(/unavailable after several attempts/);
    expect(row.attempts).toBe(3);
    expect(row.modelCalls).toBe(9); // 3 job attempts x 3 tries of step 1, every one recorded
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(0);
    expect(await holdOf(db, a.memoUuid)).toMatchObject({ status: 'released' });
  });

  it('hands the job back at a stage boundary when the worker is stopping, without using an attempt', async () => {
    await simulator().setLatency(300);
    const a = await seedAnalysis(db, userId);
    await enqueueAnalysis(queue, a.analysisId, retry);
    const stopping = new AbortController();
    const first = startWorker({ stopping: stopping.signal });
    await waitForAnalysis(db, a.analysisId, (r) => r.progressStage === 'contract');
    stopping.abort();
    await first.close(); // returns once the job reached the next boundary and went back to wait
    expect(await queue.getJobState(a.analysisId)).toBe('waiting');
    expect((await queue.getJob(a.analysisId))?.attemptsMade).toBe(0);
    expect((await getAnalysis(db, a.analysisId))?.status).toBe('running');
    await simulator().setLatency(0);
    startWorker();
    await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed');
    expect(await chargesFor(db, a.memoUuid)).toHaveLength(1);
  });
});
