import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import { type PgDatabase, PgDialect, type PgTransaction } from 'drizzle-orm/pg-core';
import type { PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index';

export type Schema = typeof schema;

/**
 * A database handle or an open transaction: every repository function accepts either, so a caller
 * can compose several of them inside its own `db.transaction` (nested ones become savepoints).
 */
export type Db = PgDatabase<PostgresJsQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = PgTransaction<PostgresJsQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Sql = postgres.Sql;

export interface DbHandle {
  db: Db;
  /** The underlying postgres.js client, for raw SQL and LISTEN/NOTIFY. */
  sql: Sql;
  close(): Promise<void>;
}

export function createDb(url: string, opts: { max?: number } = {}): DbHandle {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // NOTICEs (e.g. "relation already exists, skipping") are noise in logs.
    onnotice: () => {},
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}

const dialect = new PgDialect();

/**
 * Runs a hot statement as a prepared statement of the connection it lands on. Drizzle sends every
 * unnamed query unprepared, which costs postgres.js two round trips (Parse and Describe, wait for
 * the parameter types, then Bind and Execute) and the server a fresh parse and plan each time.
 * Prepared, the statement is parsed once per connection and each later call is one round trip
 * (docs/durable-steps.md). Same SQL and parameters as `db.execute`; a handle without the
 * postgres.js client (not made by createDb) runs it through `db.execute` instead.
 */
export async function executePrepared<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const client = (db as Partial<{ $client: Sql }>).$client;
  let rows: unknown;
  if (client) {
    const { sql: text, params } = dialect.sqlToQuery(query);
    rows = await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
  } else {
    rows = await db.execute(query);
  }
  // The row type is the caller's word for its SQL, as with db.execute<T>.
  return rows as T[];
}
