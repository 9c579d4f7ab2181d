import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/** Resolved from this file, not the cwd: the server, worker, tests and CLI start from different folders. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle/', import.meta.url));

/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK_KEY = '7306060606';

/**
 * Applies the drizzle-kit migrations in drizzle/. Already-applied ones are skipped, so running it on
 * a migrated database is a no-op. Two processes starting at once (a web and a worker on deploy) would
 * race on `CREATE SCHEMA`/`CREATE TABLE`, so the whole run holds a session advisory lock; the second
 * waits, then finds nothing to do.
 */
export async function migrate(url: string, opts: { migrationsFolder?: string } = {}): Promise<void> {
  const migrationsFolder = opts.migrationsFolder ?? MIGRATIONS_FOLDER;
  if (!existsSync(join(migrationsFolder, 'meta', '_journal.json'))) {
    throw new Error(`no drizzle migrations found in ${migrationsFolder} (run \`pnpm db:generate\`)`);
  }
  // One connection: a session advisory lock belongs to the connection that took it.
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    try {
      await drizzleMigrate(drizzle(sql), { migrationsFolder });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
