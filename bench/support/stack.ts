import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrate } from '@revmemo/db';
import { freePort, startDevstack, stopChild } from '@revmemo/devstack';
import { startModelSimulator } from '@revmemo/model-simulator';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface BenchStack {
  url: string;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** The server process's pid, for its RSS. */
  serverPid: number;
  serverOutput(): string;
  stop(): Promise<void>;
}

/**
 * The product as the tests start it: embedded PostgreSQL and redis-server from devstack, migrations
 * via @revmemo/db, the simulated model, and apps/server/src/main.ts as its own OS process.
 * No worker: both benchmarks publish or submit themselves, and a worker would compete for the 2 cores.
 */
export async function startBenchStack(opts: { extraEnv?: Record<string, string> } = {}): Promise<BenchStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'revmemo-bench-'));
  const devstack = await startDevstack({
    dataDir,
    ephemeral: true,
    env: { OPENAI_API_KEY: 'x' },
    database: 'revmemo_bench',
  });
  const stops: Array<() => Promise<unknown>> = [
    () => rm(dataDir, { recursive: true, force: true }),
    () => devstack.stop(),
  ];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const databaseUrl = devstack.env.DATABASE_URL;
    const redisUrl = devstack.env.REDIS_URL;
    if (!databaseUrl || !redisUrl) throw new Error('devstack did not start PostgreSQL and Redis');
    await migrate(databaseUrl);
    const model = await startModelSimulator({ latencyMs: 0 });
    stops.push(() => model.close());
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      // `test`, as the test suite: Better Auth's own rate limiter (production only) would throttle sign-ups.
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      OPENAI_API_KEY: 'sk-bench-simulated',
      OPENAI_BASE_URL: model.url,
      OPENAI_MODEL: 'revmemo-simulated',
      AUTH_SECRET: randomBytes(32).toString('hex'),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      WEBSITE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...opts.extraEnv,
    };
    const server = spawnApp('apps/server/src/main.ts', env);
    stops.push(() => stopChild(server.child, 10_000));
    await server.waitFor(/listening on/, 60_000);
    if (!server.child.pid) throw new Error('server has no pid');
    return {
      url,
      databaseUrl,
      redisUrl,
      prefix,
      serverPid: server.child.pid,
      serverOutput: server.output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function spawnApp(entry: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, entry)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d: Buffer) => {
    // Keep the tail only: the output is read for startup and for errors.
    out = (out + String(d)).slice(-20_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    child,
    output: () => out,
    waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
      return new Promise((resolveWait, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = setInterval(() => {
          if (pattern.test(out)) {
            clearInterval(poll);
            resolveWait();
          } else if (child.exitCode !== null || Date.now() > deadline) {
            clearInterval(poll);
            reject(new Error(`${entry} did not print ${pattern}; output:\n${out.slice(-3000)}`));
          }
        }, 50);
      });
    },
  };
}

/**
 * Stops the stack on Ctrl-C and after a hard deadline, so a bench never outlives a few minutes
 * even when something hangs.
 */
export function guard(current: () => { stop(): Promise<void> } | undefined, deadlineMs: number) {
  const bail = async (why: string) => {
    console.error(`\nbench: ${why}, stopping the stack`);
    await current()
      ?.stop()
      .catch(() => undefined);
    process.exit(1);
  };
  const timer = setTimeout(() => void bail(`over the ${deadlineMs / 1000} s limit`), deadlineMs);
  timer.unref();
  process.once('SIGINT', () => void bail('interrupted'));
  process.once('SIGTERM', () => void bail('terminated'));
}
