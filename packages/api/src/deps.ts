import type { Config } from '@revmemo/config';
import { createDb, type Db, migrationStatus } from '@revmemo/db';
import { createExtractor, type Extractor } from '@revmemo/engine';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createFairGate,
  createProgressHub,
  createProgressPublisher,
  createRedisConnection,
  type FairGate,
  liveWorkerIds,
  type ProgressHub,
  type ProgressPublisher,
  watchRedisHealth,
} from '@revmemo/queue';
import Stripe from 'stripe';
import { type Auth, createAuth } from './auth';
import { extractionLimitsOf } from './limits';
import { createMailer } from './mail';
import { createRateLimits, type RateLimits } from './rate-limits';
import { withTimeout } from './timeout';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Everything the procedures need, built once per server process. */
export interface ApiDeps {
  config: Config;
  db: Db;
  auth: Auth;
  queue: AnalysisQueue;
  publisher: ProgressPublisher;
  /** The process's one shared progress reader. */
  hub: ProgressHub;
  /** Per-user admission into the queue (docs/capacity.md): submit and cancel go through it. */
  gate: FairGate;
  /** Null when STRIPE_SECRET_KEY is unset: purchases are off. */
  stripe: Stripe | null;
  /** Verifies webhook signatures; needs no API key. */
  stripeWebhooks: Stripe['webhooks'];
  /** Worker threads that parse uploads under the extraction limits (never on the event loop). */
  extractor: Extractor;
  /** The account limits, counted in Redis so every web process shares one budget (docs/limits.md). */
  rateLimits: RateLimits;
  /** Commands-only Redis connection (flags the server records for `pnpm ops doctor`). */
  redis: ReturnType<typeof createRedisConnection>;
  log: Logger;
  /** Optional counters the host registers (prom-client in apps/server); absent, nothing is counted. */
  metrics?: ApiMetrics;
  /** Probes for /readyz: each check true when healthy. */
  ping(): Promise<Readiness>;
  /** PostgreSQL answers `select 1` within 1.5 s (tells a 503 from a 500 where the error is hidden). */
  postgresReachable(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ApiMetrics {
  /** One progress event yielded to a subscriber of analysis.progress (snapshots included). */
  progressDelivered(): void;
  /** One call refused by the named account limit. */
  rateLimited?(limit: string): void;
  /** One call counted in process memory because Redis did not answer the rate limiter. */
  rateLimitFallback?(): void;
}

export interface Readiness {
  postgres: boolean;
  redis: boolean;
  /** The newest migration in drizzle/ is applied (and memo_content exists). */
  migrations: boolean;
  /** At least one worker heartbeat key (30 s TTL) exists: someone will run submitted analyses. */
  workers: boolean;
}

function createStripeClient(config: Config): Stripe | null {
  if (!config.stripe.secretKey) return null;
  const base = config.stripe.apiBase ? new URL(config.stripe.apiBase) : null;
  return new Stripe(config.stripe.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}

export function createApiDeps(config: Config, log: Logger, opts: { metrics?: ApiMetrics } = {}): ApiDeps {
  const database = createDb(config.databaseUrl, { max: 20 });
  const commands = createRedisConnection(config.redisUrl);
  // Every Redis object reports an outage as one line down and one line back (never raw to the console).
  watchRedisHealth(commands, log, 'connection');
  const queue = createAnalysisQueue({
    connection: commands,
    prefix: config.queue.prefix,
    eventsMaxLen: config.queue.eventsMaxLen,
  });
  watchRedisHealth(queue, log, 'queue');
  const publisher = createProgressPublisher({
    connection: commands,
    prefix: config.queue.prefix,
    eventsMaxLen: config.queue.eventsMaxLen,
    log,
  });
  // The hub duplicates `commands` for its one blocking reader, shared by every subscriber here.
  const hub = createProgressHub({
    connection: commands,
    prefix: config.queue.prefix,
    log,
    onError: (err) => log.error({ err }, 'progress reader error'),
  });
  const gate = createFairGate({
    redis: commands,
    prefix: config.queue.prefix,
    queue,
    maxRunningPerUser: config.queue.maxRunningPerUser,
    retry: { attempts: config.queue.attempts, backoffMs: config.queue.backoffMs },
  });
  const stripe = createStripeClient(config);
  const extractor = createExtractor(extractionLimitsOf(config));
  const mailer = createMailer(config, log);
  const rateLimits = createRateLimits({
    redis: commands,
    prefix: config.queue.prefix,
    rules: config.limits.rates,
    log,
    onRefused: (name) => opts.metrics?.rateLimited?.(name),
    onFallback: () => opts.metrics?.rateLimitFallback?.(),
  });
  return {
    config,
    db: database.db,
    auth: createAuth(config, database.db, mailer, log),
    queue,
    publisher,
    hub,
    gate,
    stripe,
    stripeWebhooks: (stripe ?? new Stripe('sk_webhook_verification_only')).webhooks,
    extractor,
    rateLimits,
    redis: commands,
    log,
    metrics: opts.metrics,
    async ping() {
      const [postgres, redis, migrations, workers] = await Promise.all([
        database.sql`select 1`.then(
          () => true,
          () => false,
        ),
        withTimeout(commands.ping(), 2_000, 'redis ping').then(
          (r) => r === 'PONG',
          () => false,
        ),
        migrationStatus(database.sql).then(
          (m) => m.current && m.memoContent,
          () => false,
        ),
        withTimeout(anyWorkerAlive(commands, config.queue.prefix), 2_000, 'heartbeat lookup').catch(
          () => false,
        ),
      ]);
      return { postgres, redis, migrations, workers };
    },
    postgresReachable: () =>
      withTimeout(database.sql`select 1`, 1_500, 'postgres ping').then(
        () => true,
        () => false,
      ),
    async close() {
      await extractor.close();
      mailer.close();
      await hub.close();
      await publisher.close();
      await queue.close();
      commands.disconnect();
      await database.close();
    },
  };
}

/** Some worker beat within the last 30 s (one sorted-set range query; no keyspace scan). */
export async function anyWorkerAlive(
  redis: ReturnType<typeof createRedisConnection>,
  prefix: string,
): Promise<boolean> {
  return (await liveWorkerIds(redis, prefix)).length > 0;
}
