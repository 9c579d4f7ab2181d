import type { Redis } from 'ioredis';

/**
 * Each live worker process keeps one key `<prefix>:workers:<host>:<pid>` with a short TTL
 * (@revmemo/runner refreshes it); readiness and `pnpm ops doctor` count workers by these keys.
 */
export function workerHeartbeatKey(prefix: string, host: string, pid: number | '*'): string {
  return `${prefix}:workers:${host}:${pid}`;
}

/** The heartbeat keys present now, i.e. the workers alive within the last TTL. */
export async function workerHeartbeatKeys(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      workerHeartbeatKey(prefix, '*', '*'),
      'COUNT',
      1000,
    );
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}
