import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevstack } from '@revmemo/devstack';
import type { TestProject } from 'vitest/node';
import { createTemplateDatabase } from './template-db';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

/**
 * One embedded PostgreSQL and one redis-server for the whole run, started by devstack exactly as
 * `pnpm dev` does, whatever services the machine happens to run. Files isolate themselves with a
 * fresh database (cloned from a migrated template) and a unique queue prefix.
 */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'revmemo-test-'));
  // OPENAI_API_KEY is set so no shared simulator starts: test files start their own, to inject failures freely.
  const stack = await startDevstack({
    dataDir,
    ephemeral: true,
    env: { OPENAI_API_KEY: 'per-test-file' },
    database: 'revmemo_admin',
  });
  if (!stack.postgresAdminUrl) throw new Error('devstack did not start PostgreSQL');
  const template = await createTemplateDatabase(stack.postgresAdminUrl);
  project.provide('postgresAdminUrl', stack.postgresAdminUrl);
  project.provide('templateDatabase', template);
  project.provide('redisUrl', stack.env.REDIS_URL ?? '');
  return async () => {
    await stack.stop();
  };
}
