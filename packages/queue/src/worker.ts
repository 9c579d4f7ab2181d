import type { AnalysisJobData } from '@revmemo/contracts';
import { type ConnectionOptions, type Processor, Worker } from 'bullmq';
import { type HealthLog, watchRedisHealth } from './health';
import { ANALYSIS_QUEUE, type AnalysisJobName } from './jobs';

export type AnalysisProcessor = Processor<AnalysisJobData, unknown, AnalysisJobName>;
export type AnalysisWorker = Worker<AnalysisJobData, unknown, AnalysisJobName>;

/**
 * The BullMQ worker for analyses. A worker that dies (SIGKILL, OOM, lost host) stops renewing its
 * job lock; after `lockDurationMs` another worker's stalled check (every `stalledIntervalMs`) moves the
 * job back to wait. Whether a contract that keeps killing workers is poison is judged by the job
 * handler from progress (deaths at the same step); `maxStalledCount` is only a backstop above that.
 */
export function createAnalysisWorker(opts: {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  processor: AnalysisProcessor;
  /** Stalls after which BullMQ fails the job by itself; keep it above the handler's poison rule. */
  maxStalledCount?: number;
  autorun?: boolean;
  /** Where Redis outages are reported (one line down, one line back); see watchRedisHealth. */
  log?: HealthLog;
}): AnalysisWorker {
  const worker = new Worker<AnalysisJobData, unknown, AnalysisJobName>(ANALYSIS_QUEUE, opts.processor, {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount ?? 50,
    autorun: opts.autorun ?? true,
  });
  if (opts.log) watchRedisHealth(worker, opts.log, 'worker');
  return worker;
}
