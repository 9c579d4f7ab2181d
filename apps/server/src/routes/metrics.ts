import type { ApiDeps } from '@revmemo/api';
import { metricsAuthorized } from '@revmemo/config';
import type { FastifyPluginAsync } from 'fastify';
import { Gauge, type Registry } from 'prom-client';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/**
 * GET /metrics in the Prometheus text format. Queue depths and open subscriptions are read at scrape
 * time (gauges with collect) so they are current without a timer. With METRICS_TOKEN set (required
 * in production by packages/config), scrapers must send `Authorization: Bearer <token>`.
 */
export const metricsRoutes: FastifyPluginAsync<{ deps: ApiDeps; registry: Registry }> = async (
  app,
  { deps, registry },
) => {
  new Gauge({
    name: 'revmemo_jobs',
    help: 'Analysis jobs in the BullMQ queue by state (shared by every process on this Redis prefix)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await deps.queue.getJobCounts(...JOB_STATES);
      for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'revmemo_sse_subscriptions',
    help: 'analysis.progress subscribers open on this process',
    registers: [registry],
    collect() {
      this.set(deps.hub.subscriberCount());
    },
  });

  const token = deps.config.metricsToken;
  app.get('/metrics', async (req, reply) => {
    if (!metricsAuthorized(req.headers.authorization, token)) {
      return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'Send the metrics token.' } });
    }
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
};
