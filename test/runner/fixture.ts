import type { ProgressEvent } from '@revmemo/contracts';
import type { Db } from '@revmemo/db';
import { getAnalysis } from '@revmemo/db';
import { createProgressHub, type ProgressHub } from '@revmemo/queue';
import type { Redis } from 'ioredis';

export const silentLog = { info() {}, warn() {}, error() {} };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(
  probe: () => Promise<T>,
  accept: (v: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (accept(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(v)?.slice(0, 500)}`);
    await sleep(50);
  }
}

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
