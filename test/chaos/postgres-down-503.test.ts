import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@revmemo/db';
import { startModelSimulator } from '@revmemo/model-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../bench/support/chaos-run';
import { startRestartablePostgres } from '../../bench/support/services';
import { signUp, type TestUser } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { redisUrl, uniquePrefix } from '../support/harness';
import { type AppProcess, stackEnv } from '../support/processes';

/**
 * PostgreSQL stopped (a restart, a failover): calls answer 503 with Retry-After and a message that
 * says the service is briefly unavailable, so browsers and integrations retry instead of showing
 * "Something went wrong"; once it is back the same call succeeds. Its own PostgreSQL (devstack's
 * embedded one), since stopping the shared one would break every other test file.
 */
let dir: string;
let pg: Awaited<ReturnType<typeof startRestartablePostgres>>;
let model: Awaited<ReturnType<typeof startModelSimulator>>;
let server: AppProcess & { url: string };
let user: TestUser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'revmemo-pg-down-'));
  // Our own folder: open it to the `postgres` user (as root), so PostgreSQL keeps its data here and
  // the restart finds it (devstack would otherwise move the data to a place outside this folder).
  await chmod(dir, 0o755);
  pg = await startRestartablePostgres(join(dir, 'postgres'), 'revmemo_pg_down');
  await migrate(pg.url);
  model = await startModelSimulator();
  const env = stackEnv({
    databaseUrl: pg.url,
    redisUrl: redisUrl(),
    modelUrl: model.url,
    prefix: uniquePrefix('pgdown'),
  });
  server = await boot('server', env);
  user = await signUp(server.url);
}, 600_000);

afterAll(async () => {
  await server?.stop(5_000);
  await model?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

const quote = () =>
  fetch(`${server.url}/trpc/analysis.quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: user.cookie },
    body: JSON.stringify({ text: SMALL_CONTRACT }),
  });

describe('with PostgreSQL stopped', () => {
  it('analysis.quote, the upload route and the session lookup answer 503 with Retry-After, then recover', async () => {
    expect((await quote()).status).toBe(200);
    await pg.down();
    try {
      const res = await quote();
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await res.json()) as {
        error: { message: string; data: { code: string; httpStatus: number } };
      };
      expect(body.error.data.code).toBe('SERVICE_UNAVAILABLE');
      expect(body.error.message).toMatch(/briefly unavailable/);

      const form = new FormData();
      form.append('files', new Blob([SMALL_CONTRACT], { type: 'text/plain' }), 'msa.txt');
      const upload = await fetch(`${server.url}/api/quotes`, {
        method: 'POST',
        headers: { cookie: user.cookie },
        body: form,
      });
      expect(upload.status).toBe(503);
      expect(upload.headers.get('retry-after')).not.toBeNull();

      const session = await fetch(`${server.url}/api/auth/get-session`, { headers: { cookie: user.cookie } });
      expect(session.status).toBe(503);
      expect(session.headers.get('retry-after')).not.toBeNull();
    } finally {
      await pg.up();
    }
    // The pool reconnects by itself: the very same call goes through.
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await quote()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);

    // Better Auth's own console logger is routed through pino too: nothing raw in the output.
    const raw = server
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('{"level":'));
    expect(raw).toEqual([]);
  }, 120_000);
});
