import type { ApiMetrics } from '@revmemo/api';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The web process's registry, made before the API deps so the API can count deliveries into it and,
 * with ANALYSIS_EXECUTION=inline, the in-process job runtime registers its metrics here too.
 */
export function createServerMetrics(): {
  registry: Registry;
  api: ApiMetrics;
  untrustedForwarding: () => void;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const delivered = new Counter({
    name: 'revmemo_progress_events_delivered_total',
    help: 'Progress events (snapshots included) sent to browsers and integrations by analysis.progress',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'revmemo_rate_limited_total',
    help: 'Calls refused by an account limit (429), by limit name (docs/limits.md)',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'revmemo_rate_limit_fallbacks_total',
    help: 'Calls counted in process memory because Redis did not answer the rate limiter (fail-open)',
    registers: [registry],
  });
  const forwarded = new Counter({
    name: 'revmemo_untrusted_forwarding_requests_total',
    help: 'Requests with X-Forwarded-For/Forwarded while TRUST_PROXY is off (see `pnpm ops doctor`)',
    registers: [registry],
  });
  return {
    registry,
    api: {
      progressDelivered: () => delivered.inc(),
      rateLimited: (limit) => refused.inc({ limit }),
      rateLimitFallback: () => fallbacks.inc(),
    },
    untrustedForwarding: () => forwarded.inc(),
  };
}
