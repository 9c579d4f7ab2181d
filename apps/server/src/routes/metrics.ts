import type { ApiDeps } from '@revmemo/api';
import type { FastifyPluginAsync } from 'fastify';
import { Gauge, type Registry } from 'prom-client';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/**
 * GET /metrics in the Prometheus text format. Queue depths and open subscriptions are read at scrape
 * time (gauges with collect) so they are current without a timer. Like /healthz it is unauthenticated:
 * expose it on a private network or behind the platform's proxy rules, not to the internet.
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

  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
};
