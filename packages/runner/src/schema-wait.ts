import { migrationStatus, type Sql } from '@revmemo/db';
import type { Log } from './log';

/** How often the schema is checked again, and how often a waiting worker says so. */
const POLL_MS = 500;
const LOG_EVERY_MS = 30_000;

/**
 * Waits until the database has this release's migrations. The worker never migrates: the web
 * process does at start (and under `pnpm dev` both start together), or the release step does in
 * production (docs/build.md). A worker that ran jobs or its cleanup loops before that would fail
 * them on missing tables. A database that cannot be read is not waited for: the job retries and
 * health reporting already cover an outage.
 */
export async function waitForSchema(sql: Sql, log: Log): Promise<void> {
  let loggedAt = Number.NEGATIVE_INFINITY;
  for (;;) {
    let status: Awaited<ReturnType<typeof migrationStatus>>;
    try {
      status = await migrationStatus(sql);
    } catch (err) {
      log.warn({ err }, 'could not check the database schema; starting anyway');
      return;
    }
    if (status.current) return;
    if (Date.now() - loggedAt >= LOG_EVERY_MS) {
      loggedAt = Date.now();
      log.info(
        { applied: status.applied, expected: status.expected },
        'waiting for the database migrations (run by the web process or the release step)',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
