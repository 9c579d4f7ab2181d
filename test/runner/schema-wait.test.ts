import { migrate } from '@revmemo/db';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../support/harness';
import { type AppProcess, spawnApp, stackEnv } from '../support/processes';
import { withDatabase } from '../support/template-db';

// `pnpm dev` starts the web process (which migrates) and the worker together; a fresh machine's
// first run used to greet the user with "quote cleanup failed: ... table quotes" from the worker.
const admin = inject('postgresAdminUrl');
const name = `t_empty_${Date.now().toString(36)}`;
let worker: AppProcess | undefined;

afterAll(async () => {
  await worker?.stop();
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => sql.end());
});

describe('a worker started before the migrations', () => {
  it('waits for the schema, then starts its job loop and cleanup without an error', async () => {
    const sql = postgres(admin, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`CREATE DATABASE ${name}`).finally(() => sql.end());
    const url = withDatabase(admin, name);
    worker = spawnApp(
      'apps/worker/src/main.ts',
      stackEnv({
        databaseUrl: url,
        redisUrl: redisUrl(),
        modelUrl: 'http://127.0.0.1:9/v1',
        prefix: uniquePrefix('schema'),
      }),
    );
    await worker.waitFor(/waiting for the database migrations/, 45_000);
    expect(worker.output()).not.toMatch(/Worker started/);

    await migrate(url);
    await worker.waitFor(/Worker started\. Waiting for jobs/, 30_000);
    // The quote cleanup runs once at start: give it a moment to have failed, had it run too early.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(worker.output()).not.toMatch(/"level":50/);
  });
});
