import type { ProgressEvent } from '@revmemo/contracts';
import type { Db } from '@revmemo/db';
import { getAnalysis } from '@revmemo/db';
import { createModelClient } from '@revmemo/engine';
import { createProgressHub, type ProgressHub } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { until } from '../support/wait';

export const silentLog = { info() {}, warn() {}, error() {} };

/** Polls Postgres until the analysis reaches one of `statuses` (or a stage, for "mid-analysis"). */
export function waitForAnalysis(
  db: Db,
  analysisId: string,
  accept: (row: NonNullable<Awaited<ReturnType<typeof getAnalysis>>>) => boolean,
  timeoutMs = 30_000,
) {
  return until(
    () => getAnalysis(db, analysisId),
    (row) => row !== undefined && accept(row),
    `analysis ${analysisId} to reach the awaited state (${accept.toString().slice(0, 120)})`,
    timeoutMs,
  ) as Promise<NonNullable<Awaited<ReturnType<typeof getAnalysis>>>>;
}

/** Every progress event the stream holds for the analysis, oldest first. */
export async function eventsOf(hub: ProgressHub, analysisId: string): Promise<ProgressEvent[]> {
  const { events } = await hub.backfill(analysisId, '0-0');
  return events.map((e) => e.event);
}

export function startHub(redis: Redis, prefix: string) {
  return createProgressHub({ connection: redis, prefix });
}

/** Fast in-step retries: 3 tries per step before the job-level retry takes over. */
const FAST_STEP_RETRY = { tries: 3, budgetMs: 10_000, backoffMs: 20 };

/** The handler's `model` deps against a simulated model at `simUrl`. */
export function simulatedModel(simUrl: string) {
  return {
    client: createModelClient({ apiKey: 'sim', baseUrl: simUrl, timeoutMs: 10_000 }),
    name: 'revmemo-simulated',
    maxContextTokens: 100_000,
    stepRetry: FAST_STEP_RETRY,
  };
}
