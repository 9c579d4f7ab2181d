import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@revmemo/db';
import { freePort, startDevstack } from '@revmemo/devstack';
import { startModelSimulator } from '@revmemo/model-simulator';
import { type AppProcess, spawnApp, stackEnv } from '../../test/support/processes';

export interface BenchStack {
  url: string;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** The environment the server was started with (a benchmark may start workers with it). */
  env: Record<string, string>;
  /** The simulated model's OpenAI base URL (…/v1); its control API is under /__sim. */
  modelUrl: string;
  /** The server process's pid, for its RSS. */
  serverPid: number;
  serverOutput(): string;
  /** More web processes on the same stores (`servers` > 1), for the deploy benchmark. */
  others: AppProcess[];
  otherUrls: string[];
  stop(): Promise<void>;
}

/**
 * The product as the tests start it: embedded PostgreSQL and redis-server from devstack, migrations
 * via @revmemo/db, the simulated model, and apps/server/src/main.ts as its own OS process.
 * No worker: both benchmarks publish or submit themselves, and a worker would compete for the 2 cores.
 */
export async function startBenchStack(
  opts: { extraEnv?: Record<string, string>; servers?: number } = {},
): Promise<BenchStack> {
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
    const env = stackEnv({
      databaseUrl,
      redisUrl,
      modelUrl: model.url,
      prefix,
      extra: {
        // stackEnv's account limits are generous: a bench signs up and quotes many times from one address.
        WEBSITE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        ...opts.extraEnv,
      },
    });
    const server = spawnApp('apps/server/src/main.ts', env);
    stops.push(() => server.stop());
    await server.waitFor(/listening on/, 60_000);
    if (!server.child.pid) throw new Error('server has no pid');
    const others: AppProcess[] = [];
    const otherUrls: string[] = [];
    for (let i = 1; i < (opts.servers ?? 1); i++) {
      const otherPort = await freePort();
      const other = spawnApp('apps/server/src/main.ts', { ...env, PORT: String(otherPort) });
      stops.push(() => other.stop());
      await other.waitFor(/listening on/, 60_000);
      others.push(other);
      otherUrls.push(`http://127.0.0.1:${otherPort}`);
    }
    return {
      url,
      databaseUrl,
      redisUrl,
      prefix,
      env,
      modelUrl: model.url,
      serverPid: server.child.pid,
      serverOutput: server.output,
      others,
      otherUrls,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
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
