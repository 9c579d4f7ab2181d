import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The provider's limits (requests and tokens per window) as one budget in Redis, shared by every
 * worker process (docs/capacity.md). A sliding window: each granted request is a member of a sorted
 * set scored by the Redis clock, with its reserved tokens beside it; the scripts run atomically, so
 * two workers can never both take the last slot. After a 429 every worker pauses for the provider's
 * Retry-After and the limits shrink (halved, down to a quarter) until a window passes without one.
 */
export interface ModelBudgetLimits {
  /** 0 = no limit. */
  requestsPerMinute: number;
  /** 0 = no limit. */
  tokensPerMinute: number;
  /** The window both are counted over; 60 000 in production. */
  windowMs: number;
  /**
   * Longest Retry-After that pauses every worker (the in-step retry budget). A longer one parks only
   * the job that got it (docs/durable-steps.md) and shrinks the budget: a 10-minute pause for all
   * would hold every customer's analyses on one answer.
   */
  maxSharedPauseMs: number;
}

export interface RedisModelBudget {
  tryTake(tokens: number): Promise<{ granted: true; id: string } | { granted: false; retryInMs: number }>;
  settle(id: string, tokens: number): Promise<void>;
  rateLimited(retryAfterMs: number | undefined): Promise<void>;
  /** What ops doctor shows: requests and tokens in the current window, the factor and any pause. */
  state(): Promise<BudgetState>;
}

export interface BudgetState {
  requests: number;
  tokens: number;
  /** 1 normally; 0.5 or 0.25 for a window after 429s. */
  factor: number;
  pausedForMs: number;
}

// Shared by the scripts: the Redis clock (one clock for all workers), the current factor, and the
// expiry of entries that left the window (their tokens leave the running sum).
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- A request is counted for a tenth of the window longer (at most a second): the provider counts
-- arrivals, which trail our grants by the time a request takes to get there.
local window = tonumber(ARGV[1])
window = window + math.min(1000, math.floor(window / 10))
local factor = 1
if tonumber(redis.call('HGET', KEYS[3], 'factorUntil') or '0') > now then
  factor = tonumber(redis.call('HGET', KEYS[3], 'factor') or '1')
end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
for i = 1, #old, 500 do
  local chunk = {}
  for j = i, math.min(i + 499, #old) do chunk[#chunk + 1] = old[j] end
  local freed = 0
  for _, v in ipairs(redis.call('HMGET', KEYS[2], unpack(chunk))) do freed = freed + (tonumber(v) or 0) end
  redis.call('HDEL', KEYS[2], unpack(chunk))
  redis.call('HINCRBY', KEYS[3], 'tokens', -freed)
end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window) end
`;

// ARGV: window, id, tokens, rpm, tpm. Returns 0 when granted, else the milliseconds to wait.
const TAKE = `${PRELUDE}
local pauseUntil = tonumber(redis.call('HGET', KEYS[3], 'pauseUntil') or '0')
if pauseUntil > now then return pauseUntil - now end
local want = tonumber(ARGV[3])
local rpm = tonumber(ARGV[4])
local tpm = tonumber(ARGV[5])
local count = redis.call('ZCARD', KEYS[1])
if rpm > 0 then
  local limit = math.max(1, math.floor(rpm * factor))
  if count >= limit then
    local e = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    return math.max(1, tonumber(e[2]) + window - now)
  end
end
if tpm > 0 and count > 0 then
  local limit = math.max(1, math.floor(tpm * factor))
  local used = tonumber(redis.call('HGET', KEYS[3], 'tokens') or '0')
  if used + want > limit then
    -- Wait for the oldest entries whose tokens make room (a request larger than the whole limit
    -- goes alone, once the window is empty).
    local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
    for i = 1, #entries, 2 do
      used = used - (tonumber(redis.call('HGET', KEYS[2], entries[i]) or '0'))
      if used + want <= limit or i + 2 > #entries then
        return math.max(1, tonumber(entries[i + 1]) + window - now)
      end
    end
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], want)
redis.call('HINCRBY', KEYS[3], 'tokens', want)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], window * 2) end
return 0
`;

// ARGV: window, id, tokens.
const SETTLE = `${PRELUDE}
local before = redis.call('HGET', KEYS[2], ARGV[2])
if not before then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'tokens', tonumber(ARGV[3]) - tonumber(before))
return 1
`;

// ARGV: window, retryAfterMs (-1 when the provider named none).
const RATE_LIMITED = `${PRELUDE}
local ra = tonumber(ARGV[2])
if ra > 0 then
  local pauseUntil = tonumber(redis.call('HGET', KEYS[3], 'pauseUntil') or '0')
  if now + ra > pauseUntil then redis.call('HSET', KEYS[3], 'pauseUntil', now + ra) end
end
-- Several workers see the same 429 burst: shrink once per second, not once per worker.
if now - tonumber(redis.call('HGET', KEYS[3], 'lastCut') or '0') > 1000 then
  redis.call('HSET', KEYS[3], 'factor', math.max(0.25, factor / 2), 'lastCut', now)
end
redis.call('HSET', KEYS[3], 'factorUntil', now + window)
redis.call('PEXPIRE', KEYS[3], window * 2 + math.max(ra, 0))
return 1
`;

// ARGV: window. Returns requests, tokens, factor * 1000, paused ms.
const STATE = `${PRELUDE}
local pauseUntil = tonumber(redis.call('HGET', KEYS[3], 'pauseUntil') or '0')
return { redis.call('ZCARD', KEYS[1]), tonumber(redis.call('HGET', KEYS[3], 'tokens') or '0'),
  math.floor(factor * 1000), math.max(0, pauseUntil - now) }
`;

function modelBudgetKeys(prefix: string): [string, string, string] {
  return [`${prefix}:model-budget:requests`, `${prefix}:model-budget:tokens`, `${prefix}:model-budget:state`];
}

export function createModelBudget(redis: Redis, prefix: string, limits: ModelBudgetLimits): RedisModelBudget {
  const keys = modelBudgetKeys(prefix);
  const window = String(limits.windowMs);
  const run = (script: string, ...args: (string | number)[]) =>
    redis.eval(script, keys.length, ...keys, window, ...args.map(String));
  const unlimited = limits.requestsPerMinute === 0 && limits.tokensPerMinute === 0;
  return {
    async tryTake(tokens) {
      const id = randomUUID();
      // Even with no limits configured, a provider's 429 pauses every worker (checked here).
      const wait = Number(
        await run(TAKE, id, Math.ceil(tokens), limits.requestsPerMinute, limits.tokensPerMinute),
      );
      return wait === 0 ? { granted: true, id } : { granted: false, retryInMs: wait };
    },
    async settle(id, tokens) {
      if (!unlimited) await run(SETTLE, id, Math.ceil(tokens));
    },
    async rateLimited(retryAfterMs) {
      const shared = retryAfterMs !== undefined && retryAfterMs <= limits.maxSharedPauseMs;
      await run(RATE_LIMITED, shared ? Math.ceil(retryAfterMs) : -1);
    },
    async state() {
      const [requests, tokens, factor, paused] = (await run(STATE)) as number[];
      return {
        requests: Number(requests),
        tokens: Number(tokens),
        factor: Number(factor) / 1000,
        pausedForMs: Number(paused),
      };
    },
  };
}
