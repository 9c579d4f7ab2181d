import { createHash } from 'node:crypto';
import type { RateLimitName, RateLimitRule } from '@revmemo/config';
import { formatWait } from '@revmemo/format';
import type { createRedisConnection } from '@revmemo/queue';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './errors';
import { withTimeout } from './timeout';

/** Who a limit counts against: an account, an integration's API key, or (anonymous only) an address. */
export type LimitSubject = { user: string } | { apiKey: string } | { address: string } | { email: string };

interface RateLimitLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RateLimits {
  /**
   * Counts one call against `name` for each subject; throws TOO_MANY_REQUESTS (429, Retry-After)
   * when any of them is over its budget. Subjects are counted separately (an address and an email).
   */
  consume(name: RateLimitName, ...subjects: LimitSubject[]): Promise<void>;
}

export interface RateLimitOptions {
  redis: ReturnType<typeof createRedisConnection>;
  prefix: string;
  rules: Record<RateLimitName, RateLimitRule>;
  log: RateLimitLog;
  /** Called once per refusal, by limit name (a Prometheus counter in apps/server). */
  onRefused?: (name: RateLimitName) => void;
  /** Called once per call counted in process memory because Redis did not answer. */
  onFallback?: () => void;
  /** How long a Redis count may take before the process counts alone (default 500 ms). */
  redisTimeoutMs?: number;
}

const MESSAGES: Record<RateLimitName, string> = {
  quote: 'Too many quotes',
  submit: 'Too many analyses submitted',
  cancel: 'Too many cancellations',
  checkout: 'Too many checkouts started',
  confirmCheckout: 'Too many checkout confirmations',
  apiKeyCreate: 'Too many API keys created',
  signInAddress: 'Too many sign-in attempts from this address',
  signInEmail: 'Too many sign-in attempts for this email address',
  signUpAddress: 'Too many accounts created from this address',
  signUpEmail: 'Too many sign-ups for this email address',
  authAddress: 'Too many requests from this address',
  authEmail: 'Too many requests for this email address',
};

function subjectKey(s: LimitSubject): string {
  if ('user' in s) return `user:${s.user}`;
  if ('apiKey' in s) return `key:${s.apiKey}`;
  // Hashed: Redis keys (and anyone reading them) never see the email addresses tried.
  if ('email' in s)
    return `email:${createHash('sha256').update(s.email.trim().toLowerCase()).digest('base64url')}`;
  return `addr:${s.address}`;
}

/**
 * Fixed-window counters in Redis (rate-limiter-flexible's RateLimiterRedis: one atomic INCR + TTL
 * script per call), so two web processes share one budget. When Redis does not answer within
 * `redisTimeoutMs`, the call is counted in this process's memory instead (same rule): a limiter must
 * not take the site down, and during an outage each process still limits on its own. The first
 * fallback of an outage is logged; every one is counted (revmemo_rate_limit_fallbacks_total).
 * docs/limits.md lists every limit.
 */
export function createRateLimits(opts: RateLimitOptions): RateLimits {
  const timeoutMs = opts.redisTimeoutMs ?? 500;
  const limiters = new Map<RateLimitName, { redis: RateLimiterRedis; memory: RateLimiterMemory }>();
  for (const [name, rule] of Object.entries(opts.rules) as [RateLimitName, RateLimitRule][]) {
    const common = {
      points: rule.points,
      duration: rule.windowSeconds,
      keyPrefix: `${opts.prefix}:rl:${name}`,
    };
    limiters.set(name, {
      // rejectIfRedisNotReady: while ioredis is reconnecting, fail at once instead of queueing.
      redis: new RateLimiterRedis({ ...common, storeClient: opts.redis, rejectIfRedisNotReady: true }),
      memory: new RateLimiterMemory(common),
    });
  }
  let degradedSince: number | null = null;

  async function consumeOne(name: RateLimitName, key: string): Promise<RateLimiterRes> {
    const limiter = limiters.get(name);
    if (!limiter) throw new Error(`unknown rate limit ${name}`);
    try {
      const res = await withTimeout(limiter.redis.consume(key), timeoutMs, 'rate limit count');
      if (degradedSince !== null) {
        opts.log.info(
          { limit: name, down_ms: Date.now() - degradedSince },
          'rate limits counted in Redis again',
        );
        degradedSince = null;
      }
      return res;
    } catch (err) {
      // A refusal arrives as a rejected RateLimiterRes; anything else is Redis trouble.
      if (err instanceof RateLimiterRes) return err;
      opts.onFallback?.();
      if (degradedSince === null) {
        degradedSince = Date.now();
        opts.log.warn(
          { limit: name, err_message: err instanceof Error ? err.message : String(err) },
          'rate limits fall back to per-process counting: Redis did not answer',
        );
      }
      try {
        return await limiter.memory.consume(key);
      } catch (res) {
        if (res instanceof RateLimiterRes) return res;
        throw res;
      }
    }
  }

  return {
    async consume(name, ...subjects) {
      const rule = opts.rules[name];
      for (const subject of subjects) {
        const res = await consumeOne(name, subjectKey(subject));
        if (res.consumedPoints <= rule.points) continue;
        opts.onRefused?.(name);
        const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw tooManyRequests(
          name,
          seconds,
          `${MESSAGES[name]} (${rule.points} per ${formatWait(rule.windowSeconds)}). Try again in ${formatWait(seconds)}.`,
        );
      }
    },
  };
}
