import { type Db, getAnalysis, listQueuedOlderThan, listRunning, releaseAnalysis } from '@revmemo/db';
import { type RecordedCall, startModelSimulator } from '@revmemo/model-simulator';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createRedisConnection,
  enqueueAnalysis,
} from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { expectLedgerHealthy } from '../support/ledger';
import { simulatorControl } from '../support/model';
import { type AppProcess, spawnApp, stackEnv } from '../support/processes';
import { seedAnalysis, seedUser } from '../support/seed';
import { until } from '../support/wait';

const WORKER_READY = /Worker started\. Waiting for jobs on queue \\?"analysis\\?"/;

/**
 * One test file's share of the real stack for worker-process tests: a fresh database, the shared
 * Redis under its own prefix, a simulated model, and worker processes started as production does.
 */
export async function workerStack(label: string, extraEnv: Record<string, string> = {}) {
  const database = await freshDatabase();
  const redis: Redis = createRedisConnection(redisUrl());
  const modelSim = await startModelSimulator({ latencyMs: 0 });
  const env = stackEnv({
    databaseUrl: database.url,
    redisUrl: redisUrl(),
    modelUrl: modelSim.url,
    prefix: uniquePrefix(label),
    extra: {
      // Fast in-step retries for tests; the production defaults are in packages/config.
      MODEL_STEP_BACKOFF_MS: '50',
      MODEL_STEP_TRIES: '3',
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      ...extraEnv,
    },
  });
  const queue: AnalysisQueue = createAnalysisQueue({
    connection: redis,
    prefix: env.QUEUE_PREFIX as string,
    eventsMaxLen: 5000,
  });
  const running: AppProcess[] = [];
  const db: Db = database.db;

  const sim = simulatorControl(modelSim.url);
  const userId = await seedUser(db, 10_000);

  return {
    db,
    redis,
    queue,
    env,
    async worker(extra: Record<string, string> = {}) {
      // Tracked before it is up, so a test that gives up waiting still stops it in cleanup().
      const w = spawnApp('apps/worker/src/main.ts', { ...env, ...extra });
      running.push(w);
      await w.waitFor(WORKER_READY, 60_000);
      return w;
    },
    sim,
    userId,
    /** A quoted and submitted analysis of the stack's user, enqueued with 4 attempts. */
    async submit() {
      const a = await seedAnalysis(db, userId);
      await enqueueAnalysis(queue, a.analysisId, { attempts: 4, backoffMs: 200 });
      return a;
    },
    /** Resolves while a model request is in flight (arrived, not yet answered). */
    async requestInFlight(timeoutMs = 30_000) {
      await until(sim.stats, (st) => st.calls > st.requests.length, 'a model request in flight', timeoutMs);
    },
    /** Polls Postgres until the analysis row satisfies `accept`; says what it last saw otherwise. */
    waitFor(
      analysisId: string,
      accept: (row: NonNullable<Awaited<ReturnType<typeof getAnalysis>>>) => boolean,
      timeoutMs = 45_000,
    ) {
      return until(
        () => getAnalysis(db, analysisId),
        (row) => row !== undefined && accept(row),
        `analysis ${analysisId}: ${accept.toString().slice(0, 120)}`,
        timeoutMs,
      ) as Promise<NonNullable<Awaited<ReturnType<typeof getAnalysis>>>>;
    },
    /** After each test: stop workers, cancel leftovers (nothing charged), empty the queue, reset the model. */
    async cleanup() {
      await Promise.all(running.splice(0).map((w) => w.stop()));
      const open = [
        ...(await listQueuedOlderThan(db, new Date(Date.now() + 60_000))),
        ...(await listRunning(db)),
      ];
      for (const a of open)
        await releaseAnalysis(db, {
          analysisId: a.analysisId,
          status: 'canceled',
          errorMessage: 'test cleanup',
        });
      await queue.obliterate({ force: true });
      await sim.reset();
    },
    async close() {
      await expectLedgerHealthy(db);
      await queue.close();
      redis.disconnect();
      await modelSim.close();
      await database.close();
    },
  };
}

/** The step each request asked for, by its json_schema name (asc606_step4_allocation -> 4). */
export function stepNumbers(requests: RecordedCall[]): number[] {
  return requests.map((r) => Number(/step(\d)/.exec(r.step ?? '')?.[1] ?? 0));
}
