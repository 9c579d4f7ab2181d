import { CAPACITY_DEFAULTS, readEnv } from '@revmemo/config';
import { createModelBudget, fairGateKeys, recentQueueWaits } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import type { Report } from './output';

/**
 * The capacity block of `ops doctor` (docs/capacity.md): how long analyses waited to start, who is
 * waiting behind the per-user gate, and how much of the shared model budget is in use.
 */
export async function reportCapacity(redis: Redis, prefix: string, report: Report) {
  const waits = await recentQueueWaits(redis, prefix);
  if (waits.length === 0) report.ok('queue wait', 'no analysis started yet');
  else {
    const sorted = [...waits].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
    const buckets = [5_000, 60_000, 600_000, 3_600_000].map((limit, i, all) => {
      const from = i === 0 ? -1 : (all[i - 1] as number);
      return `≤${human(limit)} ${sorted.filter((w) => w > from && w <= limit).length}`;
    });
    buckets.push(`>${human(3_600_000)} ${sorted.filter((w) => w > 3_600_000).length}`);
    const text = `last ${sorted.length} analyses: p50 ${human(at(0.5))}, p95 ${human(at(0.95))}, max ${human(at(1))} (${buckets.join(', ')})`;
    if (at(0.95) > 30 * 60_000)
      report.warn('queue wait', `${text}; add worker processes or raise the model budget`);
    else report.ok('queue wait', text);
  }

  const keys = fairGateKeys(prefix);
  const users = await redis.smembers(keys.users);
  let waiting = 0;
  let admitted = 0;
  let longest = { user: '', waiting: 0 };
  for (const user of users) {
    const [w, a] = await Promise.all([redis.llen(keys.waiting(user)), redis.scard(keys.running(user))]);
    waiting += w;
    admitted += a;
    if (w > longest.waiting) longest = { user, waiting: w };
  }
  report.ok(
    'per-user gate',
    `${admitted} admitted, ${waiting} waiting for their user's turn (${users.length} users)` +
      (longest.waiting ? `; most waiting: user ${longest.user} with ${longest.waiting}` : ''),
  );

  const env = readEnv();
  const limit = (name: string, fallback: number) => {
    const n = Number(env[name] ?? '');
    return env[name] && Number.isInteger(n) && n >= 0 ? n : fallback;
  };
  const limits = {
    requestsPerMinute: limit('MODEL_REQUESTS_PER_MINUTE', CAPACITY_DEFAULTS.requestsPerMinute),
    tokensPerMinute: limit('MODEL_TOKENS_PER_MINUTE', CAPACITY_DEFAULTS.tokensPerMinute),
    windowMs: limit('MODEL_BUDGET_WINDOW_MS', 60_000),
    maxSharedPauseMs: 0,
  };
  const state = await createModelBudget(redis, prefix, limits).state();
  const of = (used: number, max: number) =>
    max > 0 ? `${used}/${Math.floor(max * state.factor)}` : `${used}/∞`;
  const text = `requests ${of(state.requests, limits.requestsPerMinute)}, tokens ${of(state.tokens, limits.tokensPerMinute)} in the current window`;
  if (state.factor < 1 || state.pausedForMs > 0)
    report.warn(
      'model budget',
      `${text}; the provider answered 429 recently: budget at ${Math.round(state.factor * 100)} %` +
        (state.pausedForMs > 0 ? `, every worker paused for ${human(state.pausedForMs)}` : '') +
        ' (set MODEL_REQUESTS_PER_MINUTE / MODEL_TOKENS_PER_MINUTE to your account limits)',
    );
  else report.ok('model budget', text);
}

function human(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
