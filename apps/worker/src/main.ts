/**
 * The worker process: the analysis job runtime (@revmemo/runner) and nothing else. SIGTERM/SIGINT:
 * stop fetching, let running jobs reach a stage boundary and hand themselves back, exit 0.
 */
import { loadConfig } from '@revmemo/config';
import { serializeError } from '@revmemo/db';
import { ANALYSIS_QUEUE } from '@revmemo/queue';
import { startAnalysisRuntime } from '@revmemo/runner';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { startMetricsServer } from './metrics-server';

const config = loadConfig();
// Every error passes serializeError: database errors lose their query parameters (contract text, memos).
const log = pino({
  level: config.logLevel,
  base: { process: 'worker', pid: process.pid },
  serializers: { err: serializeError, error: serializeError },
});

const registry = new Registry();
collectDefaultMetrics({ register: registry });

const runtime = await startAnalysisRuntime(config, log, {
  registry,
  host: 'worker',
  onFatal(err) {
    log.fatal({ err }, 'worker loop stopped');
    process.exit(1);
  },
});
const metricsServer =
  config.queue.metricsPort === undefined
    ? undefined
    : await startMetricsServer(registry, {
        port: config.queue.metricsPort,
        host: config.workerMetricsHost,
        token: config.metricsToken,
      });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: finishing the current stage, then handing jobs back');
  // Past the platform's usual 30 s grace nothing good happens: a stuck close (Redis gone) must not
  // keep the process; an unfinished job is then picked up again as stalled.
  setTimeout(() => {
    log.error('shutdown took too long; exiting');
    process.exit(1);
  }, 28_000).unref();
  try {
    await runtime.stop();
    await metricsServer?.close();
    log.info('worker stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'unclean shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

if (metricsServer)
  log.info({ port: metricsServer.port, host: config.workerMetricsHost }, 'worker metrics on /metrics');
log.info(
  { prefix: config.queue.prefix, concurrency: config.queue.concurrency },
  `Worker started. Waiting for jobs on queue "${ANALYSIS_QUEUE}"`,
);
