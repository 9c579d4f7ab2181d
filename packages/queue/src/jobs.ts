import { type AnalysisJobData, AnalysisJobDataSchema } from '@revmemo/contracts';
import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';

export const ANALYSIS_QUEUE = 'analysis';

/**
 * The job catalog: what each job carries and how it is retried. Attempts and the backoff base come
 * from config at enqueue time; the shape of the retry (exponential) is a property of the job.
 */
export const JOBS = {
  analyze: {
    queue: ANALYSIS_QUEUE,
    schema: AnalysisJobDataSchema,
    backoffType: 'exponential',
    // Completed jobs are only an idempotency record (the memo lives in Postgres): keep a day of them.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    // Failed jobs stay two weeks so ops can read the stack trace and attempt history.
    removeOnFail: { age: 14 * 24 * 3600 },
  },
} as const;

export type AnalysisJobName = keyof typeof JOBS;
export type AnalysisQueue = Queue<AnalysisJobData, unknown, AnalysisJobName>;

export interface RetryOptions {
  attempts: number;
  backoffMs: number;
}

export function createAnalysisQueue(opts: {
  connection: ConnectionOptions;
  prefix: string;
  eventsMaxLen: number;
}): AnalysisQueue {
  return new Queue<AnalysisJobData, unknown, AnalysisJobName>(ANALYSIS_QUEUE, {
    connection: opts.connection,
    prefix: opts.prefix,
    // The events stream is also the progress log clients resume from; its length bounds how far back
    // a reconnect can resume before it falls back to a fresh snapshot.
    streams: { events: { maxLen: opts.eventsMaxLen } },
  });
}

function analyzeJobOptions(analysisId: string, retry: RetryOptions): JobsOptions {
  const job = JOBS.analyze;
  return {
    // jobId = analysisId makes enqueue idempotent: BullMQ ignores an add whose id already exists.
    jobId: analysisId,
    attempts: retry.attempts,
    backoff: { type: job.backoffType, delay: retry.backoffMs },
    removeOnComplete: job.removeOnComplete,
    removeOnFail: job.removeOnFail,
  };
}

/** Adds the analysis job; a second call for the same analysis is a no-op while the job exists. */
export async function enqueueAnalysis(
  queue: AnalysisQueue,
  analysisId: string,
  retry: RetryOptions,
): Promise<void> {
  const data = JOBS.analyze.schema.parse({ analysisId });
  await queue.add('analyze', data, analyzeJobOptions(analysisId, retry));
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** True for a job state that will still run (or is running): the sweeper must leave such a job alone. */
export const isLiveJobState = (state: string) => LIVE_STATES.has(state);

/** True when a job for the analysis will still run (or is running). */
export async function hasLiveJob(queue: AnalysisQueue, analysisId: string): Promise<boolean> {
  return isLiveJobState(await queue.getJobState(analysisId));
}

/**
 * Enqueues again an analysis whose job is gone or finished while the database still expects work
 * (the sweeper's repair). A finished job with the same id would make a plain add a no-op, so it is
 * removed first. Returns false when a live job already exists.
 */
export async function requeueAnalysis(
  queue: AnalysisQueue,
  analysisId: string,
  retry: RetryOptions,
): Promise<boolean> {
  const state = await queue.getJobState(analysisId);
  if (isLiveJobState(state)) return false;
  if (state === 'completed' || state === 'failed') await queue.remove(analysisId);
  await enqueueAnalysis(queue, analysisId, retry);
  return true;
}
