import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from './client';
import { MIGRATIONS_FOLDER } from './migrate';

export interface MigrationStatus {
  /** Migrations in drizzle/ (what this code expects). */
  expected: number;
  /** Migrations drizzle's migrator recorded in drizzle.__drizzle_migrations. */
  applied: number;
  /** The newest migration in drizzle/ is recorded as applied. */
  current: boolean;
  /** The column operators check first (docs/monitoring.md); missing means nothing was migrated. */
  memoContent: boolean;
}

interface Journal {
  entries: { tag: string; when: number }[];
}

/**
 * Compares drizzle/ with what the database recorded. Drizzle stores each applied migration's `when`
 * as `created_at`, so "current" means the newest journal entry's timestamp is there.
 */
export async function migrationStatus(sql: Sql): Promise<MigrationStatus> {
  const journal = JSON.parse(
    readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
  const latest = journal.entries.at(-1)?.when;
  const [table] = await sql<{ exists: boolean }[]>`
    select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
  let applied = 0;
  let current = false;
  if (table?.exists) {
    const rows = await sql<{ created_at: string }[]>`select created_at from drizzle.__drizzle_migrations`;
    applied = rows.length;
    current = latest === undefined || rows.some((r) => Number(r.created_at) === latest);
  }
  const [column] = await sql<{ n: number }[]>`
    select count(*)::int as n from information_schema.columns
    where table_schema = current_schema() and table_name = 'analyses' and column_name = 'memo_content'`;
  return { expected: journal.entries.length, applied, current, memoContent: (column?.n ?? 0) > 0 };
}
