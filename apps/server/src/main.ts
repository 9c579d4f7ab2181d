/**
 * The web process: applies migrations, then serves HTTP. SIGTERM/SIGINT: stop accepting, cut SSE
 * streams (clients resume elsewhere with their last event id), close the stores, exit 0.
 */

import { createApiDeps } from '@revmemo/api';
import { loadConfig } from '@revmemo/config';
import { migrate } from '@revmemo/db';
import pino from 'pino';
import { buildServer } from './app';

const config = loadConfig();
const log = pino({ level: config.logLevel, base: { process: 'server' } });

async function main() {
  await migrate(config.databaseUrl);
  const deps = createApiDeps(config, log);
  const app = await buildServer({ deps, logger: false });
  await app.listen({ port: config.http.port, host: config.http.host });
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
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await app.close();
    await deps.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  log.fatal({ err }, 'server failed to start');
  process.exit(1);
});
