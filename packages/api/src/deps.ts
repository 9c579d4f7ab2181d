import type { Config } from '@revmemo/config';
import { createDb, type Db } from '@revmemo/db';
import {
  type AnalysisQueue,
  createAnalysisQueue,
  createProgressHub,
  createProgressPublisher,
  createRedisConnection,
  type ProgressHub,
  type ProgressPublisher,
} from '@revmemo/queue';
import Stripe from 'stripe';
import { type Auth, createAuth } from './auth';

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
  /** Null when STRIPE_SECRET_KEY is unset: purchases are off. */
  stripe: Stripe | null;
  /** Verifies webhook signatures; needs no API key. */
  stripeWebhooks: Stripe['webhooks'];
  log: Logger;
  /** Probes for /readyz. */
  ping(): Promise<{ postgres: boolean; redis: boolean }>;
  close(): Promise<void>;
}

export function createStripeClient(config: Config): Stripe | null {
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

export function createApiDeps(config: Config, log: Logger): ApiDeps {
  const database = createDb(config.databaseUrl, { max: 20 });
  const commands = createRedisConnection(config.redisUrl);
  const queue = createAnalysisQueue({
    connection: commands,
    prefix: config.queue.prefix,
    eventsMaxLen: config.queue.eventsMaxLen,
  });
  const publisher = createProgressPublisher({
    connection: commands,
    prefix: config.queue.prefix,
    eventsMaxLen: config.queue.eventsMaxLen,
  });
  // The hub duplicates `commands` for its one blocking reader, shared by every subscriber here.
  const hub = createProgressHub({ connection: commands, prefix: config.queue.prefix });
  const stripe = createStripeClient(config);
  return {
    config,
    db: database.db,
    auth: createAuth(config, database.db),
    queue,
    publisher,
    hub,
    stripe,
    stripeWebhooks: (stripe ?? new Stripe('sk_webhook_verification_only')).webhooks,
    log,
    async ping() {
      const [postgres, redis] = await Promise.all([
        database.sql`select 1`.then(
          () => true,
          () => false,
        ),
        commands.ping().then(
          (r) => r === 'PONG',
          () => false,
        ),
      ]);
      return { postgres, redis };
    },
    async close() {
      await hub.close();
      await publisher.close();
      await queue.close();
      commands.disconnect();
      await database.close();
    },
  };
}
