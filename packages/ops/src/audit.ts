import { checkLedgerInvariants, listQueuedOlderThan, listRunning } from '@revmemo/db';
import { createAnalysisQueue, hasLiveJob } from '@revmemo/queue';
import { connectPostgres, connectRedis, type OpsSettings } from './connect';
import { createReport, errorText, type Report } from './output';

/** The monitoring queries operators already run, unchanged (docs/monitoring.md). */
export const RECENT_ANALYSES_QUERY =
  'SELECT analysis_id, status, final_charged_credits, error_message FROM analyses ORDER BY started_at DESC LIMIT 10;';
export const DOUBLE_CHARGE_QUERY =
  "SELECT memo_uuid, COUNT(*) FROM credit_transactions WHERE reason = 'analysis_charge' GROUP BY memo_uuid HAVING COUNT(*) > 1;";

export interface AuditOptions {
  /** An open hold older than this is stuck: analyses take minutes, retries under an hour. */
  holdHours: number;
}

/** Money and job consistency; returns the number of violations (✗ lines). */
export async function runAudit(
  settings: OpsSettings,
  opts: AuditOptions,
  report: Report = createReport(),
): Promise<number> {
  if (!settings.databaseUrl) {
    report.fail('PostgreSQL', 'DATABASE_URL is unset or malformed', 'run `pnpm ops doctor`');
    return report.failures;
  }
  const pg = connectPostgres(settings.databaseUrl);
  try {
    report.info(`recent analyses (${RECENT_ANALYSES_QUERY})`);
    for (const r of await pg.sql.unsafe(RECENT_ANALYSES_QUERY)) {
      report.info(
        `  ${r.analysis_id}  ${String(r.status).padEnd(9)}  charged ${r.final_charged_credits ?? '-'}` +
          (r.error_message ? `  ${r.error_message}` : ''),
      );
    }

    await auditModelSpend(pg.sql, report);

    const doubles = await pg.sql.unsafe(DOUBLE_CHARGE_QUERY);
    if (doubles.length === 0) report.ok('double charges', '0 rows');
    for (const d of doubles)
      report.fail(
        'double charge',
        `memo ${d.memo_uuid ?? '(no memo)'} has ${d.count} analysis_charge rows`,
        'refund the extra charge with `pnpm ops credits:grant` (reason adjustment) and find how it was written',
      );

    const problems = await checkLedgerInvariants(pg.db);
    if (problems.length === 0)
      report.ok('ledger invariants', 'balance = sum(ledger), held = sum(open holds)');
    for (const p of problems)
      report.fail('ledger invariant', p, 'correct it with an adjustment entry; never edit balances by hand');

    const holds = await pg.sql`
      select h.memo_uuid, h.amount, h.created_at, h.expires_at, a.analysis_id, a.status
      from credit_holds h join analyses a on a.memo_uuid = h.memo_uuid
      where h.status = 'open'
        and (h.expires_at < now()
             or h.created_at < now() - make_interval(hours => ${opts.holdHours})
             or a.status in ('completed', 'failed', 'canceled'))`;
    if (holds.length === 0)
      report.ok('open holds', `none expired, older than ${opts.holdHours} h, or orphaned`);
    for (const h of holds)
      report.fail(
        'stuck hold',
        `${h.amount} credits held since ${new Date(h.created_at).toISOString()} for analysis ${h.analysis_id} (${h.status})`,
        'check `pnpm ops jobs failed` and the worker logs for this analysis_id',
      );

    await auditJobs(settings, pg.db, report);
  } catch (err) {
    report.fail('audit', errorText(err), 'run `pnpm ops doctor`');
  } finally {
    await pg.close().catch(() => undefined);
  }
  return report.failures;
}

/** Model steps per analysis: five requests produce a memo; anything above that is spend on retries. */
const MODEL_CALLS_NEEDED = 5;

/**
 * Model requests made against requests needed, for recent analyses, so an operator sees wasted
 * spend (retries, runs cut short) at a glance; and analyses failed as poison (a contract that kept
 * killing workers at the same step).
 */
async function auditModelSpend(sql: ReturnType<typeof connectPostgres>['sql'], report: Report) {
  const recent = await sql`
    select analysis_id, status, model_calls, estimated_cost_usd, stall_streak, error_message
    from analyses order by started_at desc limit 10`;
  const made = recent.reduce((n, r) => n + Number(r.model_calls), 0);
  const needed = recent.filter((r) => r.status === 'completed').length * MODEL_CALLS_NEEDED;
  report.info(`model calls, recent analyses (made / needed for a memo: ${MODEL_CALLS_NEEDED})`);
  for (const r of recent) {
    const need = r.status === 'completed' ? MODEL_CALLS_NEEDED : '-';
    const cost = r.estimated_cost_usd === null ? '' : `  $${Number(r.estimated_cost_usd).toFixed(4)}`;
    report.info(`  ${r.analysis_id}  ${String(r.status).padEnd(9)}  ${r.model_calls} / ${need}${cost}`);
  }
  const wasted = recent
    .filter((r) => r.status === 'completed')
    .reduce((n, r) => n + Math.max(0, Number(r.model_calls) - MODEL_CALLS_NEEDED), 0);
  const line = `${made} made for ${needed / MODEL_CALLS_NEEDED} memos (${wasted} beyond the ${MODEL_CALLS_NEEDED} per memo)`;
  if (wasted > needed) report.warn('model calls', `${line}: the provider is failing often`);
  else report.ok('model calls', line);

  const poison = await sql`
    select analysis_id, error_message from analyses
    where status = 'failed' and stall_streak > 0 and started_at > now() - interval '7 days'
    order by started_at desc limit 20`;
  for (const p of poison)
    report.warn(
      'poison contract',
      `${p.analysis_id} (the worker died analysing it; read the worker logs for this analysis_id): ${p.error_message}`,
    );
}

/** Analyses Postgres expects to progress but no job will run: the sweeper should have re-driven them. */
async function auditJobs(
  settings: OpsSettings,
  db: ReturnType<typeof connectPostgres>['db'],
  report: Report,
) {
  if (!settings.redisUrl) {
    report.fail('jobs', 'REDIS_URL is unset or malformed', 'run `pnpm ops doctor`');
    return;
  }
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  try {
    redis = await connectRedis(settings.redisUrl);
  } catch (err) {
    report.fail('jobs', `Redis: ${errorText(err)}`, 'run `pnpm ops doctor`');
    return;
  }
  const queue = createAnalysisQueue({ connection: redis, prefix: settings.prefix, eventsMaxLen: 10_000 });
  try {
    const running = await listRunning(db);
    // A queued analysis younger than the sweeper's grace may still be between its commit and its enqueue.
    const queued = await listQueuedOlderThan(db, new Date(Date.now() - 5 * 60_000));
    let orphans = 0;
    for (const a of [...running, ...queued]) {
      if (await hasLiveJob(queue, a.analysisId)) continue;
      orphans += 1;
      report.fail(
        'analysis without a job',
        `${a.analysisId} is ${a.status} but has no live job (state ${await queue.getJobState(a.analysisId)})`,
        'start a worker: its sweeper re-enqueues it (or releases it if the job failed)',
      );
    }
    if (orphans === 0) report.ok('running analyses', `${running.length} running, all with a live job`);
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}
