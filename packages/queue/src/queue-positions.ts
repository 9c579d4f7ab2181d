import type { QueuePosition } from '@revmemo/contracts';
import { QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FairGate } from './fair-gate';
import { fairGateKeys } from './fair-gate';
import { liveWorkerIds, workerHeartbeatKey } from './heartbeats';
import { ANALYSIS_QUEUE } from './jobs';

/** Recent step durations and queue waits kept in Redis, for estimates and `pnpm ops doctor`. */
const KEEP_STEP_DURATIONS = 200;
const KEEP_QUEUE_WAITS = 1_000;

const waitsKey = (prefix: string) => `${prefix}:fair:queue-wait-ms`;

/** A finished model step's duration: the estimates of when waiting analyses start come from these. */
export async function recordStepDuration(redis: Redis, prefix: string, ms: number): Promise<void> {
  const key = fairGateKeys(prefix).stepDurations;
  await redis
    .multi()
    .lpush(key, Math.round(ms))
    .ltrim(key, 0, KEEP_STEP_DURATIONS - 1)
    .exec();
}

/** How long an analysis waited between submit and its first run (ops doctor reads the recent ones). */
export async function recordQueueWait(redis: Redis, prefix: string, ms: number): Promise<void> {
  const key = waitsKey(prefix);
  await redis
    .multi()
    .lpush(key, Math.round(ms))
    .ltrim(key, 0, KEEP_QUEUE_WAITS - 1)
    .exec();
}

/** The most recent queue waits in milliseconds, newest first. */
export async function recentQueueWaits(redis: Redis, prefix: string): Promise<number[]> {
  return (await redis.lrange(waitsKey(prefix), 0, -1)).map(Number);
}

/**
 * Where every waiting analysis stands (docs/capacity.md). `ahead` counts the analyses that will start
 * before it: for a job already in BullMQ's wait list, the jobs nearer the head; for one still held
 * by the per-user gate, its own user's earlier ones plus every job in BullMQ's wait list. The start
 * estimate assumes a slot frees every (analysis duration / slots) on average, where the analysis
 * duration is the mean of recent step durations times the steps of an analysis; it takes the later
 * of "a worker slot is free" (all workers' concurrency) and "one of this user's slots is free".
 */
export async function computeQueuePositions(opts: {
  redis: Redis;
  prefix: string;
  gate: FairGate;
  stepsPerAnalysis: number;
  now?: number;
}): Promise<Map<string, QueuePosition>> {
  const { redis, prefix, gate } = opts;
  const now = opts.now ?? Date.now();
  const keys = new QueueKeys(prefix);
  const [wait, active, durations, users, capacity] = await Promise.all([
    redis.lrange(keys.toKey(ANALYSIS_QUEUE, 'wait'), 0, -1),
    redis.llen(keys.toKey(ANALYSIS_QUEUE, 'active')),
    redis.lrange(fairGateKeys(prefix).stepDurations, 0, -1),
    gate.users(),
    workerSlots(redis, prefix),
  ]);
  const stepMs = durations.length ? durations.map(Number).reduce((a, b) => a + b, 0) / durations.length : 0;
  const analysisMs = stepMs * opts.stepsPerAnalysis;
  const at = (ms: number | null) => (ms === null ? null : new Date(now + ms).toISOString());
  /** Until a worker slot is free for the analysis with `ahead` in front of it. */
  const slotWait = (ahead: number): number | null => {
    const queued = active + ahead + 1 - capacity;
    if (queued <= 0) return capacity > 0 ? 0 : null;
    return analysisMs > 0 && capacity > 0 ? (queued * analysisMs) / capacity : null;
  };

  const out = new Map<string, QueuePosition>();
  // BullMQ pushes new jobs on the left and workers take from the right: the head is the last item.
  wait.forEach((id, index) => {
    const ahead = wait.length - 1 - index;
    out.set(id, { state: 'waiting', ahead, startsAt: at(slotWait(ahead)) });
  });
  for (const user of users) {
    user.waiting.forEach((id, index) => {
      const ahead = index + wait.length;
      const own = analysisMs > 0 ? ((index + 1) * analysisMs) / gate.maxRunningPerUser : null;
      const slot = slotWait(ahead);
      const ms = own === null || slot === null ? null : Math.max(own, slot);
      out.set(id, { state: 'waiting', ahead, startsAt: at(ms) });
    });
  }
  return out;
}

/** Analyses all live workers run at once: the sum of their heartbeats' concurrency. */
async function workerSlots(redis: Redis, prefix: string): Promise<number> {
  // Live workers from the heartbeat set (no keyspace scan), then what each wrote about itself.
  const keys = (await liveWorkerIds(redis, prefix)).map((id) => workerHeartbeatKey(prefix, id));
  if (keys.length === 0) return 0;
  let slots = 0;
  for (const raw of await redis.mget(...keys)) {
    try {
      slots += Number((JSON.parse(raw ?? '{}') as { concurrency?: unknown }).concurrency) || 0;
    } catch {
      // a heartbeat from another version: count nothing for it
    }
  }
  return slots;
}
