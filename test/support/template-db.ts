import { migrate } from '@revmemo/db';
import postgres from 'postgres';

const TEMPLATE = 'revmemo_template';

/** Migrate once into a template; every test database is a cheap copy of it. */
export async function createTemplateDatabase(adminUrl: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
    await sql.unsafe(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await sql.end();
  }
  await migrate(withDatabase(adminUrl, TEMPLATE));
  return TEMPLATE;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
