import type { ApiDeps } from '@revmemo/api';
import type { FastifyPluginAsync } from 'fastify';

export const healthRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  /** Liveness: the process answers. Nothing else, so a Redis outage never gets the web process restarted. */
  app.get('/healthz', async () => ({ status: 'ok' }));

  /**
   * Readiness: this deployment can take an analysis from submit to memo. Postgres and Redis answer,
   * the newest migration is applied, and some worker (or this process, in inline mode) has written
   * its heartbeat within the last 30 s. Each check is reported, so a 503 says which one failed.
   */
  app.get('/readyz', async (_req, reply) => {
    const checks = await deps.ping();
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
};
