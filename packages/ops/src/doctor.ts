import { migrationStatus } from '@revmemo/db';
import { createAnalysisQueue, readUntrustedForwarding } from '@revmemo/queue';
import { reportCapacity } from './capacity';
import { connectPostgres, connectRedis, liveWorkers, type OpsSettings } from './connect';
import { createReport, errorText, type Report } from './output';

/** A waiting job older than this means nobody is taking jobs ("analysis never completes" in docs/monitoring.md). */
const MAX_WAIT_MS = 10 * 60_000;

const REQUIRED = {
  DATABASE_URL: 'set it to the PostgreSQL URL (Railway sets it when you add PostgreSQL)',
  REDIS_URL: 'set it to the Redis URL (Railway sets it when you add the Redis service)',
  OPENAI_API_KEY: 'set your model provider key (and OPENAI_BASE_URL for a compatible server)',
} as const;
const OPTIONAL = {
  WEBSITE_URL:
    'unset: defaults to http://localhost:$PORT, so auth origins and Stripe return URLs are wrong in production',
  STRIPE_SECRET_KEY: 'unset: credit purchases are off',
  MAIL_URL:
    'unset: verification and password-reset links are only written to the web log, never mailed (production refuses to start this way while SIGNUP_CREDITS > 0; docs/accounts.md)',
} as const;

/** The troubleshooting checks of docs/monitoring.md; returns the number of ✗ lines. */
export async function runDoctor(settings: OpsSettings, report: Report = createReport()): Promise<number> {
  checkEnv(settings, report);
  await checkPostgres(settings, report);
  await checkRedisAndQueue(settings, report);
  return report.failures;
}

function checkEnv({ env }: OpsSettings, report: Report) {
  for (const [name, fix] of Object.entries(REQUIRED)) {
    const v = env[name];
    if (!v?.set) report.fail(name, 'not set', fix);
    else if (v.problem) report.fail(name, v.problem, fix);
    else report.ok(name, 'set');
  }
  for (const [name, whenUnset] of Object.entries(OPTIONAL)) {
    const v = env[name];
    if (!v?.set) report.warn(name, whenUnset);
    else if (v.problem) report.fail(name, v.problem, `fix the value of ${name} or unset it`);
    else report.ok(name, 'set');
  }
  const listed = new Set([...Object.keys(REQUIRED), ...Object.keys(OPTIONAL)]);
  for (const [name, v] of Object.entries(env)) {
    if (!listed.has(name) && v.problem)
      report.fail(name, v.problem, `fix ${name} (see README "Configuration")`);
  }
}

async function checkPostgres({ databaseUrl }: OpsSettings, report: Report) {
  if (!databaseUrl) {
    report.fail('PostgreSQL', 'not checked: DATABASE_URL is unusable', 'fix DATABASE_URL first');
    return;
  }
  const pg = connectPostgres(databaseUrl);
  try {
    await pg.sql`select 1`;
    report.ok('PostgreSQL', 'reachable');
  } catch (err) {
    report.fail(
      'PostgreSQL',
      errorText(err),
      'check DATABASE_URL and that PostgreSQL is running and accepts connections',
    );
    await pg.close().catch(() => undefined);
    return;
  }
  try {
    const m = await migrationStatus(pg.sql);
    if (!m.memoContent)
      report.fail('migrations', 'column analyses.memo_content does not exist', 'run `pnpm db:migrate`');
    else if (!m.current)
      report.fail(
        'migrations',
        `${m.applied} of ${m.expected} applied; the newest is missing`,
        'run `pnpm db:migrate` (the Procfile release step)',
      );
    else report.ok('migrations', `current (${m.applied} applied, memo_content present)`);
  } catch (err) {
    report.fail('migrations', errorText(err), 'run `pnpm db:migrate`');
  } finally {
    await pg.close().catch(() => undefined);
  }
}

async function checkRedisAndQueue({ redisUrl, prefix }: OpsSettings, report: Report) {
  if (!redisUrl) {
    report.fail('Redis', 'not checked: REDIS_URL is unusable', 'fix REDIS_URL first');
    return;
  }
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  try {
    redis = await connectRedis(redisUrl);
    const pong = await redis.ping();
    report.ok('Redis', `PING -> ${pong}`);
  } catch (err) {
    report.fail(
      'Redis',
      errorText(err),
      'check that REDIS_URL is set correctly and Redis is running (Railway: add the Redis service)',
    );
    return;
  }
  const queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: 10_000 });
  try {
    const workers = await liveWorkers(redis, prefix);
    if (workers.length) report.ok('workers', `${workers.length} alive (heartbeat within 30 s)`);
    else
      report.fail(
        'workers',
        `no worker heartbeat under prefix "${prefix}" in the last 30 s`,
        'start one with `pnpm start:worker` (Procfile `worker`) with the same REDIS_URL and QUEUE_PREFIX, then read its logs',
      );
    await checkForwarding(redis, prefix, report);
    const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    const waiting = (c.waiting ?? 0) + (c.prioritized ?? 0);
    report.ok(
      'queue depths',
      `waiting ${waiting}, active ${c.active ?? 0}, delayed ${c.delayed ?? 0}, failed ${c.failed ?? 0}`,
    );
    if ((c.failed ?? 0) > 0)
      report.warn('failed jobs', `${c.failed} kept for inspection: \`pnpm ops jobs failed\``);
    const [oldest] = await queue.getJobs(['wait', 'prioritized'], 0, 0, true);
    if (!oldest) report.ok('oldest waiting job', 'none waiting');
    else {
      const age = Date.now() - oldest.timestamp;
      const text = `${oldest.id} waiting for ${Math.round(age / 1000)} s`;
      if (age > MAX_WAIT_MS)
        report.fail(
          'oldest waiting job',
          text,
          'no worker is taking jobs: check worker logs and its REDIS_URL',
        );
      else report.ok('oldest waiting job', text);
    }
    // Capacity and fairness (docs/capacity.md): a block of its own.
    await reportCapacity(redis, prefix, report);
  } catch (err) {
    report.fail('queue', errorText(err), 'check Redis (memory, eviction policy must be noeviction)');
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}

/**
 * A web process that saw X-Forwarded-For (or Forwarded) with TRUST_PROXY off leaves a flag in Redis
 * for a day (apps/server/src/forwarding-watch.ts): it sits behind a proxy it does not trust, so every
 * client has the proxy's address and the per-address limits (sign-in, sign-up) hold for the whole
 * site at once. A warning, not a failure: the site works, but one client can lock out everyone.
 */
async function checkForwarding(
  redis: Awaited<ReturnType<typeof connectRedis>>,
  prefix: string,
  report: Report,
) {
  const seen = await readUntrustedForwarding(redis, prefix);
  if (!seen) {
    report.ok('forwarding headers', 'none arrived while TRUST_PROXY is off (last 24 h)');
    return;
  }
  report.warn(
    'forwarding headers',
    `requests with ${seen.header} arrived from ${seen.peer} (last at ${seen.at}) while TRUST_PROXY is off: ` +
      "every client shares that proxy's address, so the per-address limits apply to the whole site. " +
      'Set TRUST_PROXY on the web service to the proxies in front of it (Railway: TRUST_PROXY=1)',
  );
}
