import { hostname } from 'node:os';
import type { Config } from '@revmemo/config';
import { createDb } from '@revmemo/db';
import { countTokens, createModelClient, STEPS } from '@revmemo/engine';
import {
  ANALYSIS_QUEUE,
  createAnalysisQueue,
  createAnalysisWorker,
  createFairGate,
  createModelBudget,
  createProgressPublisher,
  createRedisConnection,
  type ProgressPublisher,
  recordQueueWait,
  recordStepDuration,
  watchRedisHealth,
} from '@revmemo/queue';
import type { Registry } from 'prom-client';
import { releaseFailedJob } from './failed-jobs';
import { startHeartbeat } from './heartbeat';
import type { Log } from './log';
import { createRuntimeMetrics, type RuntimeMetrics } from './metrics';
import { createAnalysisProcessor } from './process-analysis';
import { createQueueAnnouncer } from './queue-announcer';
import { createQuoteCleanup } from './quote-cleanup';
import { waitForSchema } from './schema-wait';
import { createSweeper } from './sweeper';

export interface RuntimeOptions {
  /** Metrics land here; omitted, nothing is counted. */
  registry?: Registry;
  /** Which host runs it, for the heartbeat and the Redis client name: 'worker' or 'server'. */
  host?: string;
  /** The job loop died: the process can no longer do its one job. The caller decides how to exit. */
  onFatal(err: unknown): void;
}

export interface AnalysisRuntime {
  metrics: RuntimeMetrics | undefined;
  heartbeatKey: string;
  /** Stops fetching, lets running jobs reach a stage boundary and hand back (or finish), closes all. */
  stop(): Promise<void>;
}

/**
 * The analysis job runtime: BullMQ worker, failed-job release, sweeper, quote cleanup, heartbeat. apps/worker runs
 * it as the whole process; apps/server runs it in-process when ANALYSIS_EXECUTION=inline (the
 * rollback switch). Either way the same handler runs, so the charging rules are the same.
 */
export async function startAnalysisRuntime(
  config: Config,
  log: Log,
  opts: RuntimeOptions,
): Promise<AnalysisRuntime> {
  const { prefix } = config.queue;
  const host = opts.host ?? 'worker';
  const metrics = opts.registry ? createRuntimeMetrics(opts.registry) : undefined;
  // Analyses wait on the model almost all the time and their writes are short, so a few connections
  // serve dozens of them (docs/capacity.md); one per analysis would exhaust PostgreSQL's 100.
  const database = createDb(config.databaseUrl, { max: config.queue.dbPool });
  const redis = createRedisConnection(config.redisUrl, {
    name: `${prefix}:${host}:${hostname()}:${process.pid}`,
  });
  watchRedisHealth(redis, log, 'connection');
  const queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: config.queue.eventsMaxLen });
  watchRedisHealth(queue, log, 'queue');
  const publisher = counted(
    createProgressPublisher({ connection: redis, prefix, eventsMaxLen: config.queue.eventsMaxLen, log }),
    metrics,
  );
  const retry = { attempts: config.queue.attempts, backoffMs: config.queue.backoffMs };
  const gate = createFairGate({
    redis,
    prefix,
    queue,
    maxRunningPerUser: config.queue.maxRunningPerUser,
    retry,
  });
  const capacity = {
    gate,
    budget: createModelBudget(redis, prefix, {
      ...config.model.budget,
      maxSharedPauseMs: config.model.stepRetry.budgetMs,
    }),
    recordStepDuration: (ms: number) => recordStepDuration(redis, prefix, ms),
    recordQueueWait: (ms: number) => recordQueueWait(redis, prefix, ms),
  };
  const stopping = new AbortController();
  const stopNow = new AbortController();

  const worker = createAnalysisWorker({
    connection: redis,
    prefix,
    concurrency: config.queue.concurrency,
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
    // Backstop only: the handler fails a contract that keeps killing workers at the same step
    // (POISON_STALLS); a run that gets further each time may die once per step and still finish.
    maxStalledCount: (STEPS.length + 2) * config.queue.poisonStalls,
    autorun: false,
    log,
    processor: createAnalysisProcessor({
      db: database.db,
      publisher,
      model: {
        client: createModelClient({
          apiKey: config.model.apiKey,
          baseUrl: config.model.baseUrl,
          timeoutMs: config.model.timeoutMs,
        }),
        name: config.model.name,
        maxContextTokens: config.model.maxContextTokens,
        stepRetry: config.model.stepRetry,
      },
      poisonStalls: config.queue.poisonStalls,
      partialsPerSecond: config.queue.partialsPerSecond,
      log,
      stopping: stopping.signal,
      stopNow: stopNow.signal,
      metrics,
      capacity,
    }),
  });
  worker.on('failed', (job, err) => {
    releaseFailedJob({ db: database.db, publisher, log, metrics, gate }, job, err).catch((e: unknown) =>
      log.error({ err: e, analysis_id: job?.id, job_id: job?.id }, 'failed-job handler error'),
    );
  });

  const sweeper = createSweeper({
    db: database.db,
    queue,
    publisher,
    redis,
    prefix,
    intervalMs: config.queue.sweeperIntervalMs,
    retry,
    log,
    metrics,
    gate,
  });
  const positions = createQueueAnnouncer({
    redis,
    prefix,
    gate,
    publisher,
    intervalMs: config.queue.positionIntervalMs,
    log,
  });
  const quoteCleanup = createQuoteCleanup({
    db: database.db,
    redis,
    prefix,
    textAfterMs: config.retention.quoteTextMs,
    recordAfterMs: config.retention.quoteRecordMs,
    intervalMs: config.retention.cleanupIntervalMs,
    log,
  });
  const heartbeat = startHeartbeat(redis, prefix, {
    queue: ANALYSIS_QUEUE,
    concurrency: config.queue.concurrency,
    host,
  });

  // Load the tokenizer's rank table now: done lazily inside a job it blocks the event loop long
  // enough (about a second) to delay lock renewal on a busy machine.
  countTokens('warm up');
  await waitForSchema(database.sql, log);
  await worker.waitUntilReady();
  await heartbeat.ready;
  sweeper.start();
  positions.start();
  quoteCleanup.start();
  void worker.run().catch(opts.onFatal);

  let stopped: Promise<void> | undefined;
  return {
    metrics,
    heartbeatKey: heartbeat.key,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        const grace = setTimeout(() => {
          log.warn({}, 'grace period over: aborting in-flight model calls');
          stopNow.abort();
          // WORKER_SHUTDOWN_GRACE_MS (default 20 s) stays below the common 30 s SIGKILL grace
          // (Kubernetes, systemd, Railway) so the hand-back happens before the process is killed.
        }, config.queue.shutdownGraceMs);
        grace.unref();
        try {
          await worker.close(); // stops fetching, waits for active jobs to hand back or finish
        } finally {
          clearTimeout(grace);
        }
        await sweeper.stop();
        await positions.stop();
        await quoteCleanup.stop();
        await heartbeat.stop();
        await publisher.close();
        await queue.close();
        await redis.quit();
        await database.close();
      })();
      return stopped;
    },
  };
}

function counted(publisher: ProgressPublisher, metrics: RuntimeMetrics | undefined): ProgressPublisher {
  if (!metrics) return publisher;
  return {
    async publish(event) {
      const id = await publisher.publish(event);
      metrics.progressPublished.inc();
      return id;
    },
    async publishPartial(event) {
      const id = await publisher.publishPartial(event);
      if (id !== null) metrics.progressPublished.inc();
      return id;
    },
    lastEvent: (analysisId) => publisher.lastEvent(analysisId),
    hasEnded: (analysisId) => publisher.hasEnded(analysisId),
    close: () => publisher.close(),
  };
}
