import { Redis } from 'ioredis';

/**
 * One ioredis client for BullMQ classes and the progress hub. `maxRetriesPerRequest: null` is what
 * BullMQ requires for the connections it duplicates into blocking readers (XREAD, BZPOPMIN): with a
 * retry limit an outage would surface as failed blocking calls instead of a wait for Redis to return.
 * `name` shows in CLIENT LIST (and is inherited by BullMQ's duplicates), so ops can tell who is who.
 */
export function createRedisConnection(url: string, opts: { name?: string } = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...(opts.name ? { connectionName: opts.name } : {}) });
}
