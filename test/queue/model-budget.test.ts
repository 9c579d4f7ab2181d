import { createModelBudget, createRedisConnection } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../support/harness';

/**
 * The shared model budget's rules against a real Redis (docs/capacity.md): requests and tokens per
 * window, the settle that replaces an estimate, and what a 429 does to every worker's budget.
 */
let redis: Redis;
beforeAll(() => {
  redis = createRedisConnection(redisUrl());
});
afterAll(() => {
  redis.disconnect();
});

const budget = (limits: {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  maxSharedPauseMs?: number;
}) =>
  createModelBudget(redis, uniquePrefix('budget'), {
    requestsPerMinute: limits.requestsPerMinute ?? 0,
    tokensPerMinute: limits.tokensPerMinute ?? 0,
    windowMs: 60_000,
    maxSharedPauseMs: limits.maxSharedPauseMs ?? 60_000,
  });

describe('model budget', () => {
  it('grants R requests per window, then says how long until the oldest leaves it', async () => {
    const b = budget({ requestsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await b.tryTake(10)).granted).toBe(true);
    const denied = await b.tryTake(10);
    expect(denied.granted).toBe(false);
    // The window (60 s) plus its safety margin (a second), minus the little time that passed.
    if (!denied.granted) expect(denied.retryInMs).toBeGreaterThan(55_000);
    expect(await b.state()).toMatchObject({ requests: 3, factor: 1, pausedForMs: 0 });
  });

  it('counts tokens, and a settled answer frees what the estimate over-reserved', async () => {
    const b = budget({ tokensPerMinute: 1_000 });
    const first = await b.tryTake(700);
    expect(first.granted).toBe(true);
    expect((await b.tryTake(400)).granted).toBe(false);
    if (first.granted) await b.settle(first.id, 300);
    expect((await b.tryTake(400)).granted).toBe(true);
    expect((await b.state()).tokens).toBe(700);
  });

  it('lets a request larger than the whole token limit go alone, when the window is empty', async () => {
    const b = budget({ tokensPerMinute: 1_000 });
    expect((await b.tryTake(5_000)).granted).toBe(true);
    expect((await b.tryTake(1)).granted).toBe(false);
  });

  it('after a 429 pauses every caller for Retry-After and halves the budget once per burst', async () => {
    const b = budget({ requestsPerMinute: 8 });
    await b.rateLimited(1_500);
    await b.rateLimited(1_500); // a second worker seeing the same burst
    const paused = await b.tryTake(1);
    expect(paused.granted).toBe(false);
    if (!paused.granted) expect(paused.retryInMs).toBeLessThanOrEqual(1_500);
    expect((await b.state()).factor).toBe(0.5);
    await new Promise((r) => setTimeout(r, 1_600));
    // Half of 8 for the rest of the window.
    const granted = [];
    for (let i = 0; i < 6; i++) granted.push((await b.tryTake(1)).granted);
    expect(granted).toEqual([true, true, true, true, false, false]);
  });

  it('a Retry-After longer than the in-step budget shrinks the budget without pausing everyone', async () => {
    const b = budget({ requestsPerMinute: 8, maxSharedPauseMs: 60_000 });
    await b.rateLimited(600_000);
    expect((await b.tryTake(1)).granted).toBe(true);
    expect(await b.state()).toMatchObject({ factor: 0.5, pausedForMs: 0 });
  });
});
