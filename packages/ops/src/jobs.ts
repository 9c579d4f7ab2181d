import { getAnalysis } from '@revmemo/db';
import { createAnalysisQueue } from '@revmemo/queue';
import { connectPostgres, connectRedis, type OpsSettings } from './connect';
import { createReport, type Report } from './output';

/**
 * Lists failed jobs and retries them. Retrying is always safe because the job handler starts from
 * Postgres: an analysis already completed (charged) is a no-op that only republishes its outcome, so
 * nothing is charged twice. An analysis that failed for good stays failed: its hold was released
 * and the user was told nothing was charged, so it is not silently re-run (and charged) later; the
 * user resubmits. Only a job whose analysis is still queued/running actually runs again.
 */
export async function runFailedJobs(
  settings: OpsSettings,
  opts: { retry?: string; retryAll?: boolean },
  report: Report = createReport(),
): Promise<number> {
  if (!settings.redisUrl || !settings.databaseUrl) {
    report.fail('settings', 'DATABASE_URL or REDIS_URL is unset or malformed', 'run `pnpm ops doctor`');
    return report.failures;
  }
  const redis = await connectRedis(settings.redisUrl);
  const pg = connectPostgres(settings.databaseUrl);
  const queue = createAnalysisQueue({ connection: redis, prefix: settings.prefix, eventsMaxLen: 10_000 });
  try {
    if (opts.retry) {
      const job = await queue.getJob(opts.retry);
      const state = job ? await job.getState() : 'missing';
      if (!job || state !== 'failed') {
        report.fail(
          'retry',
          `job ${opts.retry} is ${state}, not failed`,
          'list them with `pnpm ops jobs failed`',
        );
        return report.failures;
      }
      await job.retry('failed');
      report.ok(`retried ${job.id}`, await whatRetryDoes(pg.db, String(job.id)));
      return report.failures;
    }
    const failed = await queue.getFailed(0, -1);
    report.info(`${failed.length} failed job(s) under prefix "${settings.prefix}"`);
    for (const job of failed) {
      const id = String(job.id);
      const row = await getAnalysis(pg.db, id);
      const when = job.finishedOn ? new Date(job.finishedOn).toISOString() : '?';
      report.info(
        `  ${id}  attempts ${job.attemptsMade}  failed ${when}  analysis ${row?.status ?? 'missing'}  reason: ${job.failedReason}`,
      );
      if (opts.retryAll) {
        await job.retry('failed');
        report.ok(`retried ${id}`, await whatRetryDoes(pg.db, id));
      }
    }
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await pg.close().catch(() => undefined);
  }
  return report.failures;
}

async function whatRetryDoes(db: ReturnType<typeof connectPostgres>['db'], analysisId: string) {
  const row = await getAnalysis(db, analysisId);
  if (!row) return 'no such analysis: the job will end as a no-op';
  if (row.status === 'completed')
    return `analysis already completed and charged ${row.finalChargedCredits}: the job republishes it and charges nothing`;
  if (row.status === 'failed' || row.status === 'canceled')
    return `analysis is ${row.status} (nothing charged): it stays ${row.status}; the user resubmits`;
  return `analysis is ${row.status}: it runs again and is charged once when it completes`;
}
