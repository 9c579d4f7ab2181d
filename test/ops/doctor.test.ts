import { startRedis } from '@revmemo/devstack';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from '../support/harness';
import { startProductStack } from '../support/stack';
import { withDatabase } from '../support/template-db';
import { runOps } from './support';

let stack: Awaited<ReturnType<typeof startProductStack>>;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startProductStack();
  // Everything a production deployment sets, so nothing is merely "optional and unset"; the model
  // budget at its defaults (test stacks switch it off).
  const { MODEL_REQUESTS_PER_MINUTE: _rpm, MODEL_TOKENS_PER_MINUTE: _tpm, ...stackEnv } = stack.env;
  env = {
    ...stackEnv,
    WEBSITE_URL: stack.url,
    STRIPE_SECRET_KEY: 'sk_test_doctor',
    STRIPE_WEBHOOK_SECRET: 'whsec_doctor',
    MAIL_URL: 'smtp://127.0.0.1:2525',
  };
});
afterAll(async () => {
  await stack?.stop();
});

describe('pnpm ops doctor', () => {
  it('on a healthy stack: one ✓ line per check, exit 0', async () => {
    const r = await runOps(['doctor'], env);
    expect(r.code, r.output).toBe(0);
    expect(
      r.lines.every((l) => l.startsWith('✓ ')),
      r.output,
    ).toBe(true);
    for (const check of [
      'DATABASE_URL',
      'REDIS_URL',
      'WEBSITE_URL',
      'OPENAI_API_KEY',
      'STRIPE_SECRET_KEY',
      'MAIL_URL',
      'PostgreSQL',
      'Redis: PING -> PONG',
      'migrations: current',
      'workers: 1 alive',
      'queue depths: waiting 0, active 0, delayed 0, failed 0',
      'oldest waiting job',
      'queue wait: no analysis started yet',
      'per-user gate: 0 admitted, 0 waiting',
      'model budget: requests 0/500, tokens 0/200000 in the current window',
    ])
      expect(r.output).toContain(`✓ ${check}`);
  });

  it('warns (without failing) about an optional variable that is unset', async () => {
    const { STRIPE_SECRET_KEY: _unset, ...rest } = env;
    const r = await runOps(['doctor'], rest);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^! STRIPE_SECRET_KEY: unset: credit purchases are off$/m);
  });

  it('flags Stripe keys without a webhook secret: payments would never be credited', async () => {
    const { STRIPE_WEBHOOK_SECRET: _unset, ...rest } = env;
    const r = await runOps(['doctor'], rest);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^✗ STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY is set/m);
  });

  it('with Redis stopped: the Redis line is ✗ with its hint, exit non-zero', async () => {
    const redis = await startRedis({});
    await redis.stop();
    const r = await runOps(['doctor'], { ...env, REDIS_URL: redis.url });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(
      /^✗ Redis: connect ECONNREFUSED .+ -> fix: check that REDIS_URL is set correctly and Redis is running/m,
    );
    expect(r.output).toContain('✓ PostgreSQL'); // the rest is still checked and reported
  });

  it('reports a malformed variable instead of crashing on it', async () => {
    const r = await runOps(['doctor'], { ...env, REDIS_URL: 'localhost:6379', AUTH_SECRET: 'short' });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^✗ REDIS_URL: must be a URL like redis:\/\/host:6379 -> fix: /m);
    expect(r.output).toMatch(/^✗ AUTH_SECRET: must be at least 32 characters -> fix: /m);
    expect(r.output).toMatch(/^✗ Redis: not checked/m);
    expect(r.output).toContain('✓ migrations: current');
  });

  it('with migrations missing (an empty database): ✗ memo_content, run pnpm db:migrate', async () => {
    const admin = inject('postgresAdminUrl');
    const name = `empty_${uniquePrefix('db').replace('-', '_')}`;
    const sql = postgres(admin, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`CREATE DATABASE ${name}`);
    await sql.end();
    const r = await runOps(['doctor'], { ...env, DATABASE_URL: withDatabase(admin, name) });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(
      /^✗ migrations: column analyses\.memo_content does not exist -> fix: run `pnpm db:migrate`$/m,
    );
  });

  it('with no worker running: ✗ workers, start one', async () => {
    const r = await runOps(['doctor'], { ...env, QUEUE_PREFIX: uniquePrefix('nobody') });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(
      /^✗ workers: no worker heartbeat .+ -> fix: start one with `pnpm start:worker`/m,
    );
  });

  it('warns when requests arrived with X-Forwarded-For while TRUST_PROXY is off, naming the fix', async () => {
    // What a proxy in front of the web process (Railway's) adds to every request.
    expect(
      (await fetch(`${stack.url}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status,
    ).toBe(200);
    const r = await runOps(['doctor'], env);
    expect(r.code, r.output).toBe(0); // a warning, not a failure
    expect(r.output).toMatch(
      /^! forwarding headers: requests with x-forwarded-for arrived from 127\.0\.0\.1 .+ while TRUST_PROXY is off: .+ \(Railway: TRUST_PROXY=1\)$/m,
    );
  });
});
