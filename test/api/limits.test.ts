import { createRevmemoClient, RevmemoError } from '@revmemo/client';
import { freePort, startRedis } from '@revmemo/devstack';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { type AppProcess, startServer } from '../support/processes';
import { startProductStack } from '../support/stack';
import { waitUntil } from '../support/wait';

/**
 * The account limits of docs/limits.md, across two web processes sharing one Redis (this file's own
 * redis-server, so its command counts are ours alone), and the data that expires.
 */
let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Awaited<ReturnType<typeof startProductStack>>;
let second: AppProcess & { url: string };
let commands: Redis;
let workerMetricsPort: number;

const QUOTE_LIMIT = 3;
const METRICS_TOKEN = 'limits-scrape-token';

beforeAll(async () => {
  redis = await startRedis({});
  workerMetricsPort = await freePort();
  stack = await startProductStack({
    redisUrl: redis.url,
    extraEnv: {
      RATE_LIMIT_QUOTE: `${QUOTE_LIMIT}/1m`,
      RATE_LIMIT_SIGN_IN_EMAIL: '3/1m',
      RATE_LIMIT_API_KEY_CREATE: '2/1m',
      RATE_LIMIT_AUTH_EMAIL: '2/1m',
      MAX_BATCH_SIZE: '10',
      QUOTE_RETENTION_HOURS: '0',
      QUOTE_RECORD_DAYS: '1',
      QUOTE_CLEANUP_INTERVAL_MS: '200',
      METRICS_TOKEN,
      WORKER_METRICS_PORT: String(workerMetricsPort),
    },
  });
  second = await startServer(stack.env);
  commands = new Redis(redis.url);
}, 240_000);
afterAll(async () => {
  commands?.disconnect();
  await second?.stop();
  await stack?.stop();
  await redis?.stop();
});

const quoteOver = (baseUrl: string, cookie: string) =>
  fetch(`${baseUrl}/trpc/analysis.quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ text: SMALL_CONTRACT }),
  });

describe('account limits across web processes', () => {
  it('a user over the quote limit on one process is refused on the other too, with Retry-After; another user is not', async () => {
    const ada = await signUp(stack.url);
    const bob = await signUp(second.url);
    for (let i = 0; i < QUOTE_LIMIT; i++) expect((await quoteOver(stack.url, ada.cookie)).status).toBe(200);

    const refused = await quoteOver(second.url, ada.cookie);
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as {
      error: { message: string; data: { code: string; appError: unknown } };
    };
    expect(body.error.data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      appError: { code: 'RATE_LIMITED', limit: 'quote', retryAfterSeconds: wait },
    });
    expect(body.error.message).toMatch(/^Too many quotes \(3 per 60 s\)\. Try again in \d+ s\.$/);

    // The upload route spends the same budget.
    const form = new FormData();
    form.append('file', new Blob([SMALL_CONTRACT]), 'msa.txt');
    const upload = await fetch(`${stack.url}/api/quotes`, {
      method: 'POST',
      headers: { cookie: ada.cookie },
      body: form,
    });
    expect(upload.status).toBe(429);
    expect(Number(upload.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await upload.json()).toMatchObject({
      error: { appError: { code: 'RATE_LIMITED', limit: 'quote' } },
    });

    // Another account has its own budget, on either process.
    expect((await quoteOver(second.url, bob.cookie)).status).toBe(200);
    expect((await quoteOver(stack.url, bob.cookie)).status).toBe(200);
  });

  it('the typed client retries within its policy, then throws RATE_LIMITED with retryAfterMs', async () => {
    const cy = await signUp(stack.url);
    const tries: number[] = [];
    const client = createRevmemoClient({
      baseUrl: second.url,
      cookie: cy.cookie,
      // A minute's wait is longer than this policy's longest: the client says so instead of waiting.
      retry: { maxAttempts: 3, maxDelayMs: 2_000 },
      onRetry: (info) => tries.push(info.attempt),
    });
    for (let i = 0; i < QUOTE_LIMIT; i++) await client.quoteText(SMALL_CONTRACT);
    const err = await client.quoteText(SMALL_CONTRACT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevmemoError);
    expect((err as RevmemoError).info).toMatchObject({ code: 'RATE_LIMITED', limit: 'quote' });
    const retryAfterMs = (err as RevmemoError & { info: { retryAfterMs: number } }).info.retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(2_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(tries).toEqual([]);
  });

  it('sign-in attempts are counted per email address across both processes; another email still gets its answer', async () => {
    const victim = await signUp(stack.url);
    const attempt = (baseUrl: string, email: string) =>
      fetch(`${baseUrl}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: stack.url },
        body: JSON.stringify({ email, password: 'not the password' }),
      });
    for (const url of [stack.url, second.url, stack.url])
      expect((await attempt(url, victim.email)).status).toBe(401);
    const refused = await attempt(second.url, victim.email);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(
        /^Too many sign-in attempts for this email address .+ Try again in \d+ s\.$/,
      ),
    });
    expect((await attempt(second.url, `other-${victim.email}`)).status).toBe(401);
  });

  it('mail-sending auth requests are counted per email address named, whichever process takes them', async () => {
    const inbox = `inbox-${Date.now()}@example.com`;
    const ask = (baseUrl: string, email: string) =>
      fetch(`${baseUrl}/api/auth/request-password-reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: stack.url },
        body: JSON.stringify({ email, redirectTo: '/reset-password' }),
      });
    // Whatever Better Auth answers (with or without a mail transport), it is not a refusal by a limit.
    for (const url of [stack.url, second.url]) expect((await ask(url, inbox)).status).not.toBe(429);
    const refused = await ask(stack.url, inbox);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ appError: { code: 'RATE_LIMITED', limit: 'authEmail' } });
    expect((await ask(second.url, `other-${inbox}`)).status).not.toBe(429);
  });

  it('the per-address auth limit never refuses the session check, which every page load makes', async () => {
    const server = await startServer({ ...stack.env, RATE_LIMIT_AUTH_ADDRESS: '3/1m' });
    try {
      const user = await signUp(stack.url);
      for (let i = 0; i < 10; i++) {
        const session = await fetch(`${server.url}/api/auth/get-session`, {
          headers: { cookie: user.cookie },
        });
        expect(session.status).toBe(200);
      }
      // The limit itself is on: other auth requests from this address are refused past 3 a minute.
      const others = [];
      for (let i = 0; i < 5; i++) others.push((await fetch(`${server.url}/api/auth/ok`)).status);
      expect(others).toContain(429);
    } finally {
      await server.stop();
    }
  });

  it('API key creation is limited per account; each key has its own quote budget, apart from the session', async () => {
    const dee = await signUp(stack.url);
    const create = (baseUrl: string, cookie: string) =>
      fetch(`${baseUrl}/api/auth/api-key/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin: stack.url },
        body: JSON.stringify({ name: 'ci integration' }),
      });
    const first = await create(stack.url, dee.cookie);
    expect(first.status).toBe(200);
    const { key } = (await first.json()) as { key: string };
    expect((await create(second.url, dee.cookie)).status).toBe(200);
    const refused = await create(stack.url, dee.cookie);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ appError: { code: 'RATE_LIMITED', limit: 'apiKeyCreate' } });
    // Another account creates its keys as usual.
    expect((await create(second.url, (await signUp(second.url)).cookie)).status).toBe(200);

    // The session spends its quote budget; the integration's key still has all of its own.
    for (let i = 0; i < QUOTE_LIMIT; i++) expect((await quoteOver(stack.url, dee.cookie)).status).toBe(200);
    expect((await quoteOver(second.url, dee.cookie)).status).toBe(429);
    const withKey = () =>
      fetch(`${second.url}/trpc/analysis.quote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ text: SMALL_CONTRACT }),
      });
    for (let i = 0; i < QUOTE_LIMIT; i++) expect((await withKey()).status).toBe(200);
    expect((await withKey()).status).toBe(429);
  });

  it('refuses a batch larger than MAX_BATCH_SIZE with 400 naming the maximum; a full batch passes', async () => {
    const batch = (n: number) =>
      fetch(
        `${stack.url}/trpc/${Array(n).fill('system.limits').join(',')}?batch=1&input=${encodeURIComponent('{}')}`,
      );
    const ok = await batch(10);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(10);
    const refused = await batch(11);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: {
        message: 'A batch may carry at most 10 calls; this one has 11. Send fewer calls per request.',
        data: { code: 'BAD_REQUEST', appError: { code: 'BATCH_TOO_LARGE', size: 11, maxBatchSize: 10 } },
      },
    });
  });
});

describe('when Redis does not answer the limiter', () => {
  it('fails open to per-process counting: calls still pass, the same rule still holds, one warning', async () => {
    const own = await startRedis({});
    const server = await startServer({ ...stack.env, REDIS_URL: own.url, RATE_LIMIT_QUOTE: '2/1m' });
    try {
      const user = await signUp(server.url);
      await own.stop();
      const quote = () => quoteOver(server.url, user.cookie);
      expect((await quote()).status).toBe(200);
      expect((await quote()).status).toBe(200);
      const refused = await quote();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const warnings = server
        .output()
        .split('\n')
        .filter((l) => l.includes('rate limits fall back to per-process counting'));
      expect(warnings).toHaveLength(1);
    } finally {
      await server.stop(3_000);
    }
  });
});

describe('data that expires', () => {
  it('deletes an expired quote’s text on schedule; submitting it says it expired; an unused row goes after QUOTE_RECORD_DAYS', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const expired = await client.analysis.quote.mutate({
      text: SMALL_CONTRACT,
      additionalContext: 'secret terms',
    });
    const current = await client.analysis.quote.mutate({ text: SMALL_CONTRACT });
    await stack.db.execute(
      sql`UPDATE quotes SET expires_at = now() - interval '1 minute' WHERE quote_id = ${expired.quoteId}`,
    );
    type Row = { document_text: string; additional_context: string | null; file_names: unknown };
    const row = async (id: string) =>
      (
        await stack.db.execute<Row>(
          sql`SELECT document_text, additional_context, file_names FROM quotes WHERE quote_id = ${id}`,
        )
      )[0];
    // The worker's cleanup (QUOTE_CLEANUP_INTERVAL_MS=200, QUOTE_RETENTION_HOURS=0) gets to it.
    await waitUntil(
      async () => (await row(expired.quoteId))?.document_text === '',
      'the cleanup scrubs the quote',
    );
    expect(await row(expired.quoteId)).toEqual({
      document_text: '',
      additional_context: null,
      file_names: [],
    });
    expect((await row(current.quoteId))?.document_text).toContain('Agreement');

    await expect(
      client.analysis.submit.mutate({ quoteId: expired.quoteId, idempotencyKey: 'expired-quote-01' }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST', appError: { code: 'QUOTE_EXPIRED' } } });

    // Past QUOTE_RECORD_DAYS (1 here) the textless row of a never-used quote is deleted too.
    await stack.db.execute(
      sql`UPDATE quotes SET expires_at = now() - interval '2 days' WHERE quote_id = ${expired.quoteId}`,
    );
    await waitUntil(async () => (await row(expired.quoteId)) === undefined, 'the cleanup deletes the row');
    expect(await row(current.quoteId)).toBeDefined();
  });
});

describe('operator endpoints', () => {
  it('/metrics in production: 401 without the token (or with a wrong one), 200 with it', async () => {
    const production = await startServer({
      ...stack.env,
      NODE_ENV: 'production',
      // Production refuses signup credits without a mail transport; this server needs neither.
      SIGNUP_CREDITS: '0',
    });
    try {
      const get = (authorization?: string) =>
        fetch(`${production.url}/metrics`, authorization ? { headers: { authorization } } : {});
      expect((await get()).status).toBe(401);
      expect((await get(`Bearer ${METRICS_TOKEN.slice(0, -1)}`)).status).toBe(401);
      expect((await get(`Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    } finally {
      await production.stop();
    }
  });

  it('the worker’s metrics listener (loopback by default) wants the same token', async () => {
    const url = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('revmemo_');
  });

  it('the web’s /metrics counts refusals by limit, behind the token', async () => {
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(401);
    expect(
      (
        await fetch(`${stack.url}/metrics`, {
          headers: { authorization: 'Bearer wrong-token-of-other-size' },
        })
      ).status,
    ).toBe(401);
    const ok = await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).toMatch(/^revmemo_rate_limited_total\{limit="quote"\} \d+$/m);
  });

  it('/readyz finds workers without a keyspace SCAN; a dead worker’s entry ages out', async () => {
    const scans = async () => {
      const info = await commands.info('commandstats');
      return Number(/cmdstat_scan:calls=(\d+)/.exec(info)?.[1] ?? 0);
    };
    const before = await scans();
    const ready = await fetch(`${stack.url}/readyz`);
    expect(await ready.json()).toMatchObject({ checks: { workers: true } });
    expect(await scans()).toBe(before);

    await Promise.all(stack.workers.map((w) => w.stop()));
    const key = `${stack.env.QUEUE_PREFIX}:worker-heartbeats`;
    // A worker killed 31 s ago (no clean stop) left its entry: it no longer counts.
    await commands.zadd(key, Date.now() - 31_000, 'gone-host:4242');
    const notReady = await fetch(`${stack.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ checks: { workers: false } });
    await commands.zadd(key, Date.now(), 'fresh-host:4343');
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
    expect(await scans()).toBe(before);
  });
});
