import type { ApiMetrics } from '@revmemo/api';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The web process's registry, made before the API deps so the API can count deliveries into it and,
 * with ANALYSIS_EXECUTION=inline, the in-process job runtime registers its metrics here too.
 */
export function createServerMetrics(): { registry: Registry; api: ApiMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const delivered = new Counter({
    name: 'revmemo_progress_events_delivered_total',
    help: 'Progress events (snapshots included) sent to browsers and integrations by analysis.progress',
    registers: [registry],
  });
  return { registry, api: { progressDelivered: () => delivered.inc() } };
}
