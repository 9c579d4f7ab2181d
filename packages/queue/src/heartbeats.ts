import type { Redis } from 'ioredis';

/** A worker whose last beat is older than this counts as gone. */
const HEARTBEAT_TTL_MS = 30_000;

/**
 * Live workers are found without scanning the keyspace: one sorted set `<prefix>:worker-heartbeats`
 * holds `<host>:<pid>` scored by the time of its last beat (the worker's clock; skew of seconds
 * against a 30 s TTL does not matter). Readers ask for scores within the TTL; writers prune older
 * entries as they beat. What each worker says about itself sits in `<prefix>:workers:<host>:<pid>`
 * with the same TTL, read by name for `pnpm ops doctor`.
 */
function heartbeatsKey(prefix: string): string {
  return `${prefix}:worker-heartbeats`;
}

export function workerHeartbeatKey(prefix: string, workerId: string): string {
  return `${prefix}:workers:${workerId}`;
}

/** One beat: the score moves to now, the info key is refreshed, entries past the TTL are pruned. */
export async function recordHeartbeat(
  redis: Redis,
  prefix: string,
  workerId: string,
  info: string,
  now = Date.now(),
): Promise<void> {
  await redis
    .multi()
    .zadd(heartbeatsKey(prefix), now, workerId)
    .set(workerHeartbeatKey(prefix, workerId), info, 'PX', HEARTBEAT_TTL_MS)
    .zremrangebyscore(heartbeatsKey(prefix), '-inf', `(${now - HEARTBEAT_TTL_MS}`)
    .exec();
}

/** A clean stop: the worker leaves at once instead of aging out. */
export async function removeHeartbeat(redis: Redis, prefix: string, workerId: string): Promise<void> {
  await redis.multi().zrem(heartbeatsKey(prefix), workerId).del(workerHeartbeatKey(prefix, workerId)).exec();
}

/** The ids (`<host>:<pid>`) of workers that beat within the TTL: one ZRANGEBYSCORE. */
export async function liveWorkerIds(redis: Redis, prefix: string, now = Date.now()): Promise<string[]> {
  return redis.zrangebyscore(heartbeatsKey(prefix), `(${now - HEARTBEAT_TTL_MS}`, '+inf');
}
