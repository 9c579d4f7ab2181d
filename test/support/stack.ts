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

/**
 * Settings under which a step can be held for as long as a test needs: a model that answers 429 is
 * retried in-step quickly and without end (see holdStep), so the analysis waits at that step.
 */
export const HOLDABLE_STEPS_ENV: Record<string, string> = {
  MODEL_STEP_TRIES: '100000',
  MODEL_STEP_RETRY_BUDGET_MS: '600000',
  MODEL_STEP_BACKOFF_MS: '50',
  MODEL_REQUESTS_PER_MINUTE: '0',
};

/** The model answers 429 to every request for this step (schema name) until the simulator is reset. */
export function holdStep(stack: { sim: ReturnType<typeof simulatorControl> }, schemaName: string) {
  return stack.sim.fail('429', 1_000_000, { step: schemaName, retryAfterMs: 100 });
}
