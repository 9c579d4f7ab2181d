import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, startRedis } from '@revmemo/devstack';
import { startModelSimulator } from '@revmemo/model-simulator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePdf } from '../engine/support/files';
import { signUp, trpcClient } from '../support/client';
import { uniquePrefix } from '../support/harness';
import { type AppProcess, repoRoot, spawnCommand } from '../support/processes';
import { withDatabase } from '../support/template-db';
import { analyseOnce, procfile } from './support';

const started: AppProcess[] = [];
const cleanup: (() => Promise<unknown>)[] = [];
// The compiled processes of THESE sources, built as the deploy builds them (`pnpm build` ends with it).
beforeAll(async () => {
  const build = spawnCommand('pnpm build:node', {});
  expect(await build.exited, build.output()).toBe(0);
}, 120_000);
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const c of cleanup) await c();
});

describe('the Procfile', () => {
  it('railway.json and the start scripts run the same build and commands', () => {
    const types = procfile();
    const railway = JSON.parse(readFileSync(resolve(repoRoot, 'railway.json'), 'utf8'));
    expect(railway.build.buildCommand).toBe('pnpm install --frozen-lockfile && pnpm build');
    expect(railway.deploy.preDeployCommand).toEqual([types.release]);
    expect(railway.deploy.startCommand).toBe(types.web);
    // `pnpm build` ends with the bundles the Procfile runs.
    const scripts = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')).scripts;
    expect(scripts.build).toContain('pnpm build:node');
    // Locally, `pnpm build` then `pnpm start:server` / `start:worker` run what production runs.
    expect(scripts['start:server']).toBe(types.web);
    expect(scripts['start:worker']).toBe(types.worker);
  });

  it('release, web and worker, given only DATABASE_URL, REDIS_URL and the model settings, serve a full analysis', async () => {
    const types = procfile();
    expect(Object.keys(types).sort()).toEqual(['release', 'web', 'worker']);
    // Compiled JavaScript, not TypeScript compiled at run time by tsx (issue 13; docs/build.md).
    for (const command of Object.values(types)) {
      expect(command).not.toMatch(/tsx|\.ts\b/);
      const file = /^node --enable-source-maps (\S+\/dist\/\S+\.js)$/.exec(command)?.[1];
      expect(file, command).toBeDefined();
      expect(existsSync(resolve(repoRoot, file as string)), `${file} built`).toBe(true);
    }

    // A brand-new deployment: an empty database, its own Redis (default queue prefix), a model.
    const admin = inject('postgresAdminUrl');
    const name = `procfile_${uniquePrefix('db').replace('-', '_')}`;
    const sql = postgres(admin, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`CREATE DATABASE ${name}`);
    await sql.end();
    const redis = await startRedis({});
    cleanup.push(() => redis.stop());
    const model = await startModelSimulator({ latencyMs: 0 });
    cleanup.push(() => model.close());
    const port = await freePort();
    const env = {
      DATABASE_URL: withDatabase(admin, name),
      REDIS_URL: redis.url,
      OPENAI_API_KEY: 'sk-procfile',
      OPENAI_BASE_URL: model.url,
      OPENAI_MODEL: 'revmemo-simulated',
      // Not ours to choose: every platform that reads a Procfile sets PORT for the web process.
      PORT: String(port),
    };

    const release = spawnCommand(types.release as string, env);
    expect(await release.exited, release.output()).toBe(0);
    const web = spawnCommand(types.web as string, env);
    started.push(web);
    await web.waitFor(/listening on/, 90_000);
    expect(web.output()).toMatch(
      /AUTH_SECRET is not set: sessions are signed with a secret .+ stored in PostgreSQL/,
    );
    const worker = spawnCommand(types.worker as string, env);
    started.push(worker);
    await worker.waitFor(/Worker started/, 90_000);

    // WEBSITE_URL is unset, so the server's origin is http://localhost:$PORT.
    const baseUrl = `http://localhost:${port}`;
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
    // Files the sources find next to themselves are found from the bundle too: the web app ...
    const webIndex = resolve(repoRoot, 'apps/web/dist/index.html');
    expect(existsSync(webIndex), 'the web app is built (pnpm --filter @revmemo/web build)').toBe(true);
    const page = await fetch(`${baseUrl}/some/client/route`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(readFileSync(webIndex, 'utf8'));
    const user = await signUp(baseUrl);
    // ... and the extraction thread's module (packages/engine/src/documents/extract-worker.mjs).
    const form = new FormData();
    form.append('file', new Blob([makePdf(['1. FEES', 'Customer pays $120,000 per year.'])]), 'msa.pdf');
    const uploaded = await fetch(`${baseUrl}/api/quotes`, {
      method: 'POST',
      headers: { cookie: user.cookie },
      body: form,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(200);
    expect(await uploaded.json()).toMatchObject({ fileNames: ['msa.pdf'], credits: 10 });
    const { analysis, quote } = await analyseOnce(baseUrl, user.cookie);
    expect(analysis).toMatchObject({ status: 'completed', finalChargedCredits: quote.credits });
    expect(analysis.memoContent).toMatch(/ASC 606/);

    // The compiled ops CLI, as an operator runs it on a production machine: everything fine.
    const doctor = spawnCommand('node --enable-source-maps packages/ops/dist/cli.js doctor', env);
    expect(await doctor.exited, doctor.output()).toBe(0);
    expect(doctor.output()).toMatch(/✓ migrations: current/);
    expect(doctor.output()).toMatch(/✓ workers: 1 alive/);

    // The generated secret is in the database, so a second web process signs the same sessions.
    const db = postgres(env.DATABASE_URL, { max: 1 });
    cleanup.push(() => db.end());
    const secrets = await db`SELECT name FROM app_secrets`;
    expect(secrets.map((r) => r.name)).toEqual(['auth_secret']);
    const secondPort = await freePort();
    const second = spawnCommand(types.web as string, { ...env, PORT: String(secondPort) });
    started.push(second);
    await second.waitFor(/listening on/, 90_000);
    const onSecond = trpcClient(`http://localhost:${secondPort}`, user.cookie);
    expect(await onSecond.analysis.get.query({ analysisId: analysis.analysisId })).toMatchObject({
      analysisId: analysis.analysisId,
      status: 'completed',
    });
    expect(await onSecond.credits.balance.query()).toEqual(
      await trpcClient(baseUrl, user.cookie).credits.balance.query(),
    );
    expect(await second.stop(30_000)).toBe(0);

    // SIGTERM: both exit cleanly (the platform's stop and redeploy).
    expect(await worker.stop(30_000)).toBe(0);
    expect(await web.stop(30_000)).toBe(0);
  }, 300_000);
});
