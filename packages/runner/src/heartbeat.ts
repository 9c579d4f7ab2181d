import { hostname } from 'node:os';
import { workerHeartbeatKey } from '@revmemo/queue';
import type { Redis } from 'ioredis';

const TTL_SECONDS = 30;
const EVERY_MS = 10_000;

export function heartbeatKey(prefix: string, host = hostname(), pid = process.pid): string {
  return workerHeartbeatKey(prefix, host, pid);
}

/**
 * A key per live worker process, refreshed well inside its TTL: readiness checks and ops count
 * workers by these keys, and a killed worker drops out within 30 s without anyone cleaning up.
 */
export function startHeartbeat(redis: Redis, prefix: string, info: Record<string, unknown> = {}) {
  const key = heartbeatKey(prefix);
  const startedAt = new Date().toISOString();
  const beat = () =>
    redis
      .set(
        key,
        JSON.stringify({
          ...info,
          pid: process.pid,
          host: hostname(),
          startedAt,
          at: new Date().toISOString(),
        }),
        'EX',
        TTL_SECONDS,
      )
      .catch(() => undefined); // Redis down: the key expires and readiness reports it, which is right
  const first = beat();
  const timer = setInterval(beat, EVERY_MS);
  timer.unref();
  return {
    key,
    ready: first,
    async stop() {
      clearInterval(timer);
      await redis.del(key).catch(() => undefined);
    },
  };
}
