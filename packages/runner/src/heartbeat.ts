import { hostname } from 'node:os';
import { recordHeartbeat, removeHeartbeat, workerHeartbeatKey } from '@revmemo/queue';
import type { Redis } from 'ioredis';

const EVERY_MS = 10_000;

/** `<host>:<pid>`: this process among the live workers. */
function workerId(host = hostname(), pid = process.pid): string {
  return `${host}:${pid}`;
}

export function heartbeatKey(prefix: string, host = hostname(), pid = process.pid): string {
  return workerHeartbeatKey(prefix, workerId(host, pid));
}

/**
 * A beat every 10 s into the live-worker set (see @revmemo/queue heartbeats.ts): readiness checks and
 * ops find workers there without a keyspace scan, and a killed worker ages out within 30 s without
 * anyone cleaning up.
 */
export function startHeartbeat(redis: Redis, prefix: string, info: Record<string, unknown> = {}) {
  const id = workerId();
  const startedAt = new Date().toISOString();
  const beat = () =>
    recordHeartbeat(
      redis,
      prefix,
      id,
      JSON.stringify({
        ...info,
        pid: process.pid,
        host: hostname(),
        startedAt,
        at: new Date().toISOString(),
      }),
    ).catch(() => undefined); // Redis down: the entry ages out and readiness reports it, which is right
  const first = beat();
  const timer = setInterval(beat, EVERY_MS);
  timer.unref();
  return {
    key: heartbeatKey(prefix),
    ready: first,
    async stop() {
      clearInterval(timer);
      await removeHeartbeat(redis, prefix, id).catch(() => undefined);
    },
  };
}
