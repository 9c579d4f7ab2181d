import { hostname } from 'node:os';
import { loadConfig } from '@revmemo/config';
import { createDb } from '@revmemo/db';
import { countTokens, createModelClient } from '@revmemo/engine';
import {
  ANALYSIS_QUEUE,
  createAnalysisQueue,
  createAnalysisWorker,
  createProgressPublisher,
  createRedisConnection,
} from '@revmemo/queue';
import pino from 'pino';
import { releaseFailedJob } from './failed-jobs';
import { startHeartbeat } from './heartbeat';
import { createAnalysisProcessor } from './process-analysis';
import { createSweeper } from './sweeper';

/**
 * How long a shutdown waits for running jobs to reach a stage boundary before cutting in-flight
 * model calls. Below the common 30 s SIGKILL grace (Kubernetes, systemd) so the hand-back happens.
 */
const SHUTDOWN_GRACE_MS = 20_000;

const config = loadConfig();
const log = pino({ level: config.logLevel, base: { process: 'worker', pid: process.pid } });
const { prefix } = config.queue;

const database = createDb(config.databaseUrl, { max: config.queue.concurrency + 3 });
const redis = createRedisConnection(config.redisUrl, {
  name: `${prefix}:worker:${hostname()}:${process.pid}`,
});
const queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: config.queue.eventsMaxLen });
const publisher = createProgressPublisher({
  connection: redis,
  prefix,
  eventsMaxLen: config.queue.eventsMaxLen,
});
const stopping = new AbortController();
const stopNow = new AbortController();

const worker = createAnalysisWorker({
  connection: redis,
  prefix,
  concurrency: config.queue.concurrency,
  lockDurationMs: config.queue.lockDurationMs,
  stalledIntervalMs: config.queue.stalledIntervalMs,
  autorun: false,
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
    },
    log,
    stopping: stopping.signal,
    stopNow: stopNow.signal,
  }),
});
worker.on('failed', (job, err) => {
  releaseFailedJob({ db: database.db, publisher, log }, job, err).catch((e: unknown) =>
    log.error({ err: e, jobId: job?.id }, 'failed-job handler error'),
  );
});
worker.on('error', (err) => log.error({ err }, 'worker error'));

const sweeper = createSweeper({
  db: database.db,
  queue,
  publisher,
  redis,
  prefix,
  intervalMs: config.queue.sweeperIntervalMs,
  retry: { attempts: config.queue.attempts, backoffMs: config.queue.backoffMs },
  log,
});
const heartbeat = startHeartbeat(redis, prefix, {
  queue: ANALYSIS_QUEUE,
  concurrency: config.queue.concurrency,
});

async function shutdown(signal: string) {
  if (stopping.signal.aborted) return;
  log.info({ signal }, 'shutting down: finishing the current stage, then handing jobs back');
  stopping.abort();
  const grace = setTimeout(() => {
    log.warn('grace period over: aborting in-flight model calls');
    stopNow.abort();
  }, SHUTDOWN_GRACE_MS);
  grace.unref();
  try {
    await worker.close(); // stops fetching, waits for active jobs to hand back or finish
    clearTimeout(grace);
    await sweeper.stop();
    await heartbeat.stop();
    await publisher.close();
    await queue.close();
    await redis.quit();
    await database.close();
    log.info('worker stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'unclean shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// Load the tokenizer's rank table now: done lazily inside a job it blocks the event loop long
// enough (about a second) to delay lock renewal on a busy machine.
countTokens('warm up');
await worker.waitUntilReady();
await heartbeat.ready;
sweeper.start();
void worker.run().catch((err: unknown) => {
  log.fatal({ err }, 'worker loop stopped');
  process.exit(1);
});
log.info(
  { prefix, concurrency: config.queue.concurrency },
  `Worker started. Waiting for jobs on queue "${ANALYSIS_QUEUE}"`,
);
