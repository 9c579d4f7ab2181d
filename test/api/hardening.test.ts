import { ConfigError, parseConfig } from '@revmemo/config';
import { startRedis } from '@revmemo/devstack';
import { countTokens } from '@revmemo/engine';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { startServer } from '../support/processes';
import { startProductStack } from '../support/stack';

/** Inputs found in review to break things: each must get a clear answer and leak nothing. */
let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({
    workers: 0,
    extraEnv: { METRICS_TOKEN: 'scrape-me', RATE_LIMIT_AUTH_ADDRESS: '60/1m' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('hostile or broken input', () => {
  it('quotes text with NUL bytes (bad extractions) instead of failing with SQL in the message', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const q = await client.analysis.quote.mutate({ text: `${SMALL_CONTRACT}\u0000\u0007 trailing` });
    expect(q.credits).toBe(10);
  });

  it('refuses one enormous "word" (200,000 characters) with a typed error, and keeps serving', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    await expect(client.analysis.quote.mutate({ text: 'x9Kz'.repeat(50_000) })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', appError: { code: 'CONTRACT_TOO_LONG', maxTokens: 100_000 } },
    });
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  });

  it('counts long runs in slices: never fewer tokens than the exact count, and not many more', () => {
    const text = `intro ${'Zq7'.repeat(300)} outro`; // a 900-character run, small enough to encode whole
    const exact = new Tiktoken(o200kBase).encode(text, [], []).length;
    const sliced = countTokens(text);
    expect(sliced).toBeGreaterThanOrEqual(exact);
    expect(sliced).toBeLessThanOrEqual(exact * 1.25);
  });

  it('answers a made-up list cursor with BAD_REQUEST, not an internal error', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    await expect(client.analysis.list.query({ cursor: 'not-a-cursor' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
    await expect(client.credits.history.query({ cursor: '!!' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });

  it('keeps /metrics behind METRICS_TOKEN when one is set', async () => {
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${stack.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('revmemo_jobs');
  });

  it('ignores a spoofed X-Forwarded-For unless TRUST_PROXY says which proxy to believe', async () => {
    // 60 auth requests a minute per address: rotating the header must not buy more. (Any counted
    // auth route: the session check itself is not counted, see docs/limits.md.)
    let limited = 0;
    for (let i = 0; i < 70; i++) {
      const res = await fetch(`${stack.url}/api/auth/ok`, {
        headers: { 'x-forwarded-for': `10.0.${i}.1` },
      });
      if (res.status === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
  });

  it('refuses Stripe checkout without a webhook secret at start: the payment could never be credited', () => {
    const base = {
      DATABASE_URL: 'postgres://u@h/d',
      REDIS_URL: 'redis://h:1',
      OPENAI_API_KEY: 'k',
      STRIPE_SECRET_KEY: 'sk_live_x',
    };
    expect(() => parseConfig(base)).toThrow(ConfigError);
    try {
      parseConfig(base);
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set (without it paid checkouts would never be credited)',
      ]);
    }
  });
});

describe('the upload rate limit', () => {
  it("answers an account's 31st upload within a minute with 429 and a readable error", async () => {
    // A process of its own with the default quote limit (the suite's stacks run with generous ones).
    // (The spoofing test above spent this address's auth budget, which every process shares.)
    const server = await startServer({
      ...stack.env,
      PORT: '',
      RATE_LIMIT_QUOTE: '30/1m',
      RATE_LIMIT_AUTH_ADDRESS: '100000/1m',
    });
    try {
      const user = await signUp(server.url);
      const upload = () => {
        const form = new FormData();
        form.append('file', new Blob([SMALL_CONTRACT]), 'msa.txt');
        return fetch(`${server.url}/api/quotes`, {
          method: 'POST',
          headers: { cookie: user.cookie },
          body: form,
        });
      };
      for (let i = 1; i <= 30; i++) {
        const res = await upload();
        expect(res.status, `upload ${i}: ${await res.clone().text()}`).toBe(200);
        expect(await res.json()).toMatchObject({ credits: 10, fileNames: ['msa.txt'] });
      }
      const limited = await upload();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await limited.json()).toEqual({
        error: {
          code: 'TOO_MANY_REQUESTS',
          message: expect.stringMatching(/^Too many quotes \(30 per 60 s\)\. Try again in \d+ s\.$/),
          appError: { code: 'RATE_LIMITED', limit: 'quote', retryAfterSeconds: expect.any(Number) },
        },
      });
    } finally {
      await server.stop();
    }
  });
});

describe('when Redis goes away', () => {
  it('/readyz answers 503 naming Redis within seconds instead of hanging', async () => {
    const redis = await startRedis({});
    const server = await startServer({ ...stack.env, REDIS_URL: redis.url, PORT: '' });
    try {
      await redis.stop();
      // A hanging probe would abort here and fail the test; how fast it answers is bench material.
      const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(15_000) });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ checks: { redis: false, postgres: true } });
    } finally {
      await server.stop(3_000);
    }
  });
});
