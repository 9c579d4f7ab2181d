/**
 * The web process: applies migrations, then serves HTTP. With ANALYSIS_EXECUTION=inline it also runs
 * the analysis job runtime in-process (the rollback switch: no worker deployment needed).
 * SIGTERM/SIGINT: stop accepting, cut SSE streams (clients resume elsewhere with their last event
 * id), hand running jobs back (inline), close the stores, exit 0.
 */

import { createApiDeps } from '@revmemo/api';
import { type Config, loadConfig } from '@revmemo/config';
import { createDb, ensureSecret, migrate, serializeError } from '@revmemo/db';
import { type AnalysisRuntime, startAnalysisRuntime } from '@revmemo/runner';
import pino from 'pino';
import { buildServer } from './app';
import { createServerMetrics } from './metrics';

const config = loadConfig();
// Every error passes serializeError: database errors lose their query parameters (contract text).
const log = pino({
  level: config.logLevel,
  base: { process: 'server' },
  serializers: { err: serializeError, error: serializeError },
});

/**
 * AUTH_SECRET unset: one generated secret shared through PostgreSQL, so every web instance signs
 * and verifies the same sessions without the operator having to make one up.
 */
async function withAuthSecret(c: Config): Promise<Config> {
  if (c.auth.secret) return c;
  const database = createDb(c.databaseUrl, { max: 1 });
  try {
    const secret = await ensureSecret(database.db, 'auth_secret');
    log.warn(
      'AUTH_SECRET is not set: sessions are signed with a secret generated once and stored in PostgreSQL ' +
        '(table app_secrets); anyone who can read the database can forge sessions, and resetting the ' +
        'database signs everyone out. Set AUTH_SECRET to take over.',
    );
    return { ...c, auth: { ...c.auth, secret } };
  } finally {
    await database.close();
  }
}

async function main() {
  await migrate(config.databaseUrl);
  const effective = await withAuthSecret(config);
  const metrics = createServerMetrics();
  const deps = createApiDeps(effective, log, { metrics: metrics.api });
  let runtime: AnalysisRuntime | undefined;
  if (config.queue.execution === 'inline') {
    runtime = await startAnalysisRuntime(effective, log.child({ runtime: 'inline' }), {
      registry: metrics.registry,
      host: 'server',
      onFatal(err) {
        log.fatal({ err }, 'inline analysis runtime stopped');
        process.exit(1);
      },
    });
    log.warn('ANALYSIS_EXECUTION=inline: analyses run inside this web process (rollback mode)');
  }
  const app = await buildServer({
    deps,
    logger: false,
    registry: metrics.registry,
    onUntrustedForwarding: metrics.untrustedForwarding,
  });
  // A deploy sends every stream of the stopped process here at once: Node's default accept backlog
  // (511) overflows and the kernel drops connects, which clients retry only after 1, 3, 7 s.
  // (The kernel caps it at net.core.somaxconn.) docs/progress-transport.md
  await app.listen({ port: config.http.port, host: config.http.host, backlog: 4096 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
  log.info({ port, simulatedModel: config.model.simulated }, `listening on http://localhost:${port}`);
  if (config.model.simulated)
    log.warn('OPENAI_API_KEY is not set: memos come from the SIMULATED model and say so');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // Inline jobs get the runtime's own 20 s to reach a stage boundary; a bare server needs far less.
    const timer = setTimeout(() => process.exit(1), runtime ? 25_000 : 10_000);
    timer.unref();
    await app.close();
    await runtime?.stop();
    await deps.close();
    log.info('server stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  log.fatal({ err }, 'server failed to start');
  process.exit(1);
});
