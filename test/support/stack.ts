import { startModelSimulator } from '@revmemo/model-simulator';
import { freshDatabase, redisUrl, uniquePrefix } from './harness';
import { simulatorControl } from './model';
import { type AppProcess, stackEnv, startServer, startWorker } from './processes';

/**
 * A whole product for one test file: its own database, queue prefix and simulated model, a server
 * process and a worker process. `extraEnv` overrides settings (latency-sensitive tests etc.).
 */
export async function startProductStack(
  opts: {
    latencyMs?: number;
    extraEnv?: Record<string, string>;
    workers?: number;
    /** A redis-server of the file's own (tests that pause or stop Redis); the run's shared one otherwise. */
    redisUrl?: string;
  } = {},
) {
  const database = await freshDatabase();
  const model = await startModelSimulator({ latencyMs: opts.latencyMs ?? 0 });
  const env = stackEnv({
    databaseUrl: database.url,
    redisUrl: opts.redisUrl ?? redisUrl(),
    modelUrl: model.url,
    prefix: uniquePrefix('e2e'),
    extra: opts.extraEnv,
  });
  const server = await startServer(env);
  const workers: AppProcess[] = [];
  for (let i = 0; i < (opts.workers ?? 1); i++) workers.push(await startWorker(env));
  const stack = {
    env,
    db: database.db,
    databaseUrl: database.url,
    model,
    /** The simulated model's control API: latency, injected failures, call stats. */
    sim: simulatorControl(model.url),
    /** A test may replace the server (a redeploy); stop() stops whichever runs then. */
    server,
    workers,
    url: server.url,
    async stop() {
      await Promise.all([stack.server.stop(), ...stack.workers.map((w) => w.stop())]);
      await model.close();
      await database.close();
    },
  };
  return stack;
}
