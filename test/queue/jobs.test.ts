import { randomUUID } from 'node:crypto';
import {
  type AnalysisProcessor,
  type AnalysisQueue,
  type AnalysisWorker,
  createAnalysisQueue,
  createAnalysisWorker,
  createRedisConnection,
  enqueueAnalysis,
  hasLiveJob,
  requeueAnalysis,
  UnrecoverableError,
  WaitingError,
} from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../support/harness';
import { waitUntil } from '../support/wait';

const retry = { attempts: 3, backoffMs: 10 };
let connection: Redis;
let queue: AnalysisQueue;
let prefix: string;
const workers: AnalysisWorker[] = [];

beforeAll(() => {
  connection = createRedisConnection(redisUrl());
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close(true)));
  await queue.close();
});

afterAll(() => {
  connection.disconnect();
});

function freshQueue() {
  prefix = uniquePrefix('jobs');
  queue = createAnalysisQueue({ connection, prefix, eventsMaxLen: 500 });
  return queue;
}

function startWorker(
  processor: AnalysisProcessor,
  opts: { lockDurationMs?: number; stalledIntervalMs?: number } = {},
) {
  const worker = createAnalysisWorker({
    connection,
    prefix,
    concurrency: 1,
    lockDurationMs: opts.lockDurationMs ?? 30_000,
    stalledIntervalMs: opts.stalledIntervalMs ?? 30_000,
    processor,
  });
  workers.push(worker);
  return worker;
}

describe('analysis job catalog', () => {
  it('enqueues one job per analysis however often it is asked, with retries and retention', async () => {
    freshQueue();
    const id = randomUUID();
    await Promise.all([enqueueAnalysis(queue, id, retry), enqueueAnalysis(queue, id, retry)]);
    await enqueueAnalysis(queue, id, retry);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const job = await queue.getJob(id);
    expect(job?.data).toEqual({ analysisId: id });
    expect(job?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 10 } });
    expect(job?.opts.removeOnFail).toMatchObject({ age: 14 * 24 * 3600 });
    expect(await hasLiveJob(queue, id)).toBe(true);
    expect(await hasLiveJob(queue, randomUUID())).toBe(false);
  });

  it('rejects a payload that is not an analysis id', async () => {
    freshQueue();
    await expect(enqueueAnalysis(queue, 'not-a-uuid', retry)).rejects.toThrow();
  });

  it('keeps failed jobs for inspection, and requeue revives a finished job', async () => {
    freshQueue();
    const id = randomUUID();
    await enqueueAnalysis(queue, id, retry);
    const seen: number[] = [];
    startWorker(async (job) => {
      seen.push(job.attemptsMade);
      throw new UnrecoverableError('bad document');
    });
    await waitUntil(async () => (await queue.getJobState(id)) === 'failed', `job ${id} to fail`);
    expect(seen).toEqual([0]); // unrecoverable: no retries
    expect(await hasLiveJob(queue, id)).toBe(false);
    // A plain enqueue of the same id stays a no-op while the failed job is kept...
    await enqueueAnalysis(queue, id, retry);
    expect(await queue.getJobState(id)).toBe('failed');
    // ...so the sweeper's repair removes it first.
    expect(await requeueAnalysis(queue, id, retry)).toBe(true);
    await waitUntil(() => seen.length === 2, 'both jobs to be processed');
    expect(await requeueAnalysis(queue, randomUUID(), retry)).toBe(true);
  });

  it('retries transient failures with backoff until attempts run out', async () => {
    freshQueue();
    const id = randomUUID();
    await enqueueAnalysis(queue, id, retry);
    const attempts: number[] = [];
    startWorker(async (job) => {
      attempts.push(job.attemptsMade);
      throw new Error('503 from the model');
    });
    await waitUntil(async () => (await queue.getJobState(id)) === 'failed', `job ${id} to fail`);
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('hands a job back without using an attempt (graceful shutdown)', async () => {
    freshQueue();
    const id = randomUUID();
    await enqueueAnalysis(queue, id, { attempts: 1, backoffMs: 0 });
    let runs = 0;
    startWorker(async (job, token) => {
      runs += 1;
      if (runs === 1) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      return 'done';
    });
    await waitUntil(async () => (await queue.getJobState(id)) === 'completed', `job ${id} to complete`);
    expect(runs).toBe(2);
    expect((await queue.getJob(id))?.attemptsMade).toBe(1);
  });

  it('picks up the job of a worker that died mid-job once its lock expires', async () => {
    freshQueue();
    const id = randomUUID();
    await enqueueAnalysis(queue, id, retry);
    let started!: () => void;
    const startedOnce = new Promise<void>((r) => {
      started = r;
    });
    const dead = startWorker(
      async () => {
        started();
        return new Promise(() => undefined); // hangs: the process "dies" below
      },
      { lockDurationMs: 500, stalledIntervalMs: 300 },
    );
    await startedOnce;
    // A force close stops lock renewal without finishing the job, as SIGKILL would.
    await dead.close(true);
    expect(await queue.getJobState(id)).toBe('active');
    expect(await hasLiveJob(queue, id)).toBe(true);
    const secondRun: string[] = [];
    startWorker(
      async (job) => {
        secondRun.push(job.id ?? '');
        return 'done';
      },
      { lockDurationMs: 500, stalledIntervalMs: 300 },
    );
    await waitUntil(async () => (await queue.getJobState(id)) === 'completed', `job ${id} to complete`);
    expect(secondRun).toEqual([id]);
  });
});
