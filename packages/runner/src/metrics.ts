import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * What the job runtime counts, in whichever process runs it (the worker, or the web process with
 * ANALYSIS_EXECUTION=inline). Counters are per process; Prometheus sums them across instances.
 */
export function createRuntimeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    jobDuration: new Histogram({
      name: 'revmemo_job_duration_seconds',
      help: 'Time one analysis job attempt took, by how it ended',
      labelNames: ['outcome'] as const,
      // Analyses take minutes; a no-op re-run takes milliseconds.
      buckets: [0.05, 0.5, 2, 5, 15, 30, 60, 120, 300, 600, 1200],
      registers,
    }),
    queueWait: new Histogram({
      name: 'revmemo_queue_wait_seconds',
      help: 'Time from submit to the first run of an analysis (per-user gate and worker queue together)',
      // From "a slot was free" to a month-end backlog of hours.
      buckets: [0.5, 2, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    }),
    charges: new Counter({
      name: 'revmemo_charges_total',
      help: 'Analyses captured: memo saved and the quoted credits charged (once each)',
      registers,
    }),
    chargedCredits: new Counter({
      name: 'revmemo_charged_credits_total',
      help: 'Credits charged by captured analyses',
      registers,
    }),
    releases: new Counter({
      name: 'revmemo_releases_total',
      help: 'Analyses failed for good and their hold released (nothing charged), by who released them',
      labelNames: ['by'] as const,
      registers,
    }),
    modelTokens: new Counter({
      name: 'revmemo_model_tokens_total',
      help: 'Model tokens of captured analyses, every request of every run included',
      labelNames: ['kind', 'model'] as const,
      registers,
    }),
    modelCalls: new Counter({
      name: 'revmemo_model_calls_total',
      help: 'Model requests by outcome: ok (answered), retried (failed, tried again in the step), failed, aborted (cut by a cancel or shutdown)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    progressPublished: new Counter({
      name: 'revmemo_progress_events_published_total',
      help: 'Progress events appended to the Redis events stream by this process',
      registers,
    }),
  };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;
