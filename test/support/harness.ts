import { randomBytes } from 'node:crypto';
import { createDb, type Db } from '@revmemo/db';
import postgres from 'postgres';
import { inject } from 'vitest';
import { withDatabase } from './template-db';

const id = () => randomBytes(5).toString('hex');

/** A new, migrated database for this test file (a copy of the run's template). */
export async function freshDatabase(): Promise<{ url: string; db: Db; close(): Promise<void> }> {
  const admin = inject('postgresAdminUrl');
  const name = `t_${id()}`;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  } finally {
    await sql.end();
  }
  const url = withDatabase(admin, name);
  const handle = createDb(url, { max: 10 });
  return { url, db: handle.db, close: handle.close };
}

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A BullMQ prefix of its own per test, so queues and event streams never mix. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${id()}`;
}
