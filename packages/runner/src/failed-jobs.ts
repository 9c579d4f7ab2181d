import type { Db } from '@revmemo/db';
import type { FairGate, Job, ProgressPublisher } from '@revmemo/queue';
import { type Log, withFields } from './log';
import type { RuntimeMetrics } from './metrics';
import { failAnalysis } from './release';

/**
 * For jobs that end failed without our handler releasing them (a worker that fails a job it no longer
 * runs, an invalid payload): the analysis would otherwise stay `running` with its credits held. Jobs
 * failed by another process's stall check emit no 'failed' event here; the sweeper releases those.
 * The handler's own failures already released; release is a no-op on a terminal analysis.
 */
export async function releaseFailedJob(
  deps: { db: Db; publisher: ProgressPublisher; log: Log; metrics?: RuntimeMetrics; gate?: FairGate },
  job: Job | undefined,
  err: Error,
): Promise<void> {
  if (!job?.id) return;
  // 'failed' is emitted for every failed attempt; only a job that will not run again is final.
  if (!(await job.isFailed())) return;
  const analysisId = job.id;
  const log = withFields(deps.log, { analysis_id: analysisId, job_id: job.id });
  const outcome = await failAnalysis(
    { ...deps, log },
    {
      analysisId,
      errorMessage: 'The analysis could not be completed. Nothing was charged.',
      by: 'failed-job',
    },
  ).catch((releaseErr: unknown) => {
    log.error({ err: releaseErr }, 'could not release a failed job; the sweeper will retry');
    return 'error' as const;
  });
  if (outcome === 'released')
    log.error({ reason: err.message }, 'job failed outside the handler; analysis released');
}
