import { describeEnv, type EnvVariableStatus, readEnv } from '@revmemo/config';
import { type Db, schema } from '@revmemo/db';
import { liveWorkerIds, workerHeartbeatKey } from '@revmemo/queue';
import { drizzle } from 'drizzle-orm/postgres-js';
import { Redis } from 'ioredis';
import postgres from 'postgres';

export interface OpsSettings {
  env: Record<string, EnvVariableStatus>;
  /** Undefined when unset or malformed: the checks that need it report that instead of crashing. */
  databaseUrl?: string;
  redisUrl?: string;
  prefix: string;
}

/**
 * What ops can use from the environment even when the full config does not parse: a missing
 * OPENAI_API_KEY must not stop `ops doctor` from pinging Redis.
 */
export function readSettings(): OpsSettings {
  const raw = readEnv();
  const env = describeEnv(raw);
  const usable = (name: string) => (env[name]?.set && !env[name]?.problem ? raw[name] : undefined);
  return {
    env,
    databaseUrl: usable('DATABASE_URL'),
    redisUrl: usable('REDIS_URL'),
    prefix: usable('QUEUE_PREFIX') ?? 'revmemo',
  };
}

/** Short timeouts and no reconnect loop: ops answers "unreachable" in seconds instead of waiting. */
export function connectPostgres(url: string) {
  const sql = postgres(url, { max: 2, connect_timeout: 5, idle_timeout: 5, onnotice: () => undefined });
  const db: Db = drizzle(sql, { schema });
  return { sql, db, close: () => sql.end({ timeout: 2 }) };
}

export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket error (ECONNREFUSED, ENOTFOUND) says more than connect()'s "Connection is closed".
  let socketError: unknown;
  redis.on('error', (err) => {
    socketError = err;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw socketError ?? err;
  }
  return redis;
}

/** Live workers (from the heartbeat set, no keyspace scan) with what each worker wrote. */
export async function liveWorkers(redis: Redis, prefix: string): Promise<{ key: string; info: string }[]> {
  const ids = await liveWorkerIds(redis, prefix);
  return Promise.all(
    ids.map(async (id) => {
      const key = workerHeartbeatKey(prefix, id);
      return { key, info: (await redis.get(key)) ?? '' };
    }),
  );
}
