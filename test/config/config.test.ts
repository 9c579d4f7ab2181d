import { ConfigError, parseConfig } from '@revmemo/config';
import { describe, expect, it } from 'vitest';
import { spawnApp } from '../support/processes';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/revmemo',
  REDIS_URL: 'redis://127.0.0.1:6379',
  OPENAI_API_KEY: 'sk-test',
  AUTH_SECRET: 'x'.repeat(32),
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('configuration', () => {
  it('accepts a minimal production environment and fills in defaults', () => {
    const config = parseConfig(valid);
    expect(config.http.port).toBe(3000);
    expect(config.queue.execution).toBe('queue');
    expect(config.model.simulated).toBe(false);
    expect(config.stripe.secretKey).toBeUndefined();
    expect(config.pricing.tiers[0]).toEqual({ maxWords: 3000, credits: 10 });
    // Sized for I/O-bound work (docs/capacity.md).
    expect(config.queue).toMatchObject({ concurrency: 50, dbPool: 10, maxRunningPerUser: 10 });
    expect(config.model.budget).toEqual({
      requestsPerMinute: 500,
      tokensPerMinute: 200_000,
      windowMs: 60_000,
    });
  });

  it.each([
    [{ DATABASE_URL: 'mysql://x/y' }, /^DATABASE_URL must be a URL like postgres:\/\//],
    [{ DATABASE_URL: undefined }, /^DATABASE_URL is required$/],
    [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL must be a URL like redis:\/\//],
    [{ AUTH_SECRET: 'short' }, /^AUTH_SECRET must be at least 32 characters$/],
    [{ PORT: 'eighty' }, /^PORT /],
    [{ PRICING_TIERS: '[{"maxWords": 10}]' }, /^PRICING_TIERS /],
    [{ ANALYSIS_EXECUTION: 'threads' }, /^ANALYSIS_EXECUTION /],
    [{ MAX_RUNNING_PER_USER: '0' }, /^MAX_RUNNING_PER_USER /],
    [{ MODEL_REQUESTS_PER_MINUTE: '-1' }, /^MODEL_REQUESTS_PER_MINUTE /],
    [{ PROGRESS_PARTIALS_PER_SECOND: '-1' }, /^PROGRESS_PARTIALS_PER_SECOND /],
    [{ PROGRESS_PARTIALS_PER_SECOND: '1000' }, /^PROGRESS_PARTIALS_PER_SECOND /],
    [{ PROGRESS_PARTIALS_PER_SECOND: 'fast' }, /^PROGRESS_PARTIALS_PER_SECOND /],
  ])('names the variable and what is wrong: %j', (override, expected) => {
    const found = problems({ ...valid, ...override });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  it('publishes progress within a step at 4 events a second unless told otherwise; 0 turns it off', () => {
    expect(parseConfig(valid).queue.partialsPerSecond).toBe(4);
    expect(parseConfig({ ...valid, PROGRESS_PARTIALS_PER_SECOND: '0' }).queue.partialsPerSecond).toBe(0);
    expect(parseConfig({ ...valid, PROGRESS_PARTIALS_PER_SECOND: '10' }).queue.partialsPerSecond).toBe(10);
  });

  it('requires METRICS_TOKEN in production (a public /metrics tells anyone the traffic)', () => {
    const production = {
      ...valid,
      NODE_ENV: 'production',
      WEBSITE_URL: 'https://revmemo.example.com',
      SIGNUP_CREDITS: '0',
    };
    expect(problems(production)).toEqual([
      'METRICS_TOKEN is required in production (scrapers send it as `Authorization: Bearer <token>`)',
    ]);
    expect(problems({ ...production, METRICS_TOKEN: 'secret' })).toEqual([]);
    expect(problems({ ...valid, NODE_ENV: 'development' })).toEqual([]);
  });

  it('reads account limits as count/window and names a malformed one', () => {
    const config = parseConfig({ ...valid, RATE_LIMIT_QUOTE: '5/2m' });
    expect(config.limits.rates.quote).toEqual({ points: 5, windowSeconds: 120 });
    expect(config.limits.rates.signUpAddress).toEqual({ points: 10, windowSeconds: 3600 });
    expect(problems({ ...valid, RATE_LIMIT_SUBMIT: 'lots' })).toEqual([
      'RATE_LIMIT_SUBMIT must look like 30/1m (count/window; window in s, m or h)',
    ]);
    expect(problems({ ...valid, MAX_BATCH_SIZE: '2' })[0]).toMatch(/^MAX_BATCH_SIZE /);
  });

  it.each(['apps/server/src/main.ts', 'apps/worker/src/main.ts'])(
    '%s exits non-zero at start with one line naming a malformed DATABASE_URL',
    async (entry) => {
      const proc = spawnApp(entry, { ...valid, DATABASE_URL: 'not a url' });
      const code = await proc.exited;
      expect(code).not.toBe(0);
      const lines = proc.output().trim().split('\n');
      expect(lines).toEqual([
        'config error: DATABASE_URL must be a URL like postgres://user:pass@host:5432/db',
      ]);
    },
  );
});

describe('configuration of accounts in production', () => {
  const production = {
    ...valid,
    NODE_ENV: 'production',
    WEBSITE_URL: 'https://revmemo.example.com',
    MAIL_URL: 'smtp://apikey:secret@smtp.example.com:587',
    METRICS_TOKEN: 'scrape-token',
  };

  it('accepts a production environment with its public URL and a mail server', () => {
    const config = parseConfig(production);
    expect(config.mail).toEqual({
      url: 'smtp://apikey:secret@smtp.example.com:587',
      from: 'Revmemo <no-reply@revmemo.example.com>',
    });
    expect(parseConfig({ ...production, MAIL_FROM: 'Billing <billing@example.com>' }).mail.from).toBe(
      'Billing <billing@example.com>',
    );
  });

  it('requires WEBSITE_URL in production, naming it and why', () => {
    expect(problems({ ...production, WEBSITE_URL: undefined })).toEqual([
      'WEBSITE_URL is required in production: the public https:// address (secure cookies, links in mail, Stripe return URLs)',
    ]);
    // Outside production it still defaults to localhost.
    expect(parseConfig({ ...valid, NODE_ENV: 'development' }).http.websiteUrl).toBe('http://localhost:3000');
  });

  it('requires MAIL_URL in production while sign-ups earn credits, and says so', () => {
    const found = problems({ ...production, MAIL_URL: undefined });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^MAIL_URL is required in production while SIGNUP_CREDITS > 0 \(50\): /);
    expect(found[0]).toContain('verification link');
    // Without sign-up credits there is nothing for verification to release: mail is optional.
    expect(parseConfig({ ...production, MAIL_URL: undefined, SIGNUP_CREDITS: '0' }).mail.url).toBeUndefined();
    // Development and tests log the links instead.
    expect(problems({ ...valid, NODE_ENV: 'development' })).toEqual([]);
  });

  it('wants MAIL_URL as an smtp:// or smtps:// URL', () => {
    expect(problems({ ...production, MAIL_URL: 'mail.example.com:587' })).toEqual([
      'MAIL_URL must be a URL like smtp://user:pass@smtp.example.com:587',
    ]);
    expect(parseConfig({ ...production, MAIL_URL: 'smtps://u:p@smtp.example.com:465' }).mail.url).toBe(
      'smtps://u:p@smtp.example.com:465',
    );
  });

  it('the server refuses to start in production without WEBSITE_URL and MAIL_URL, one line each', async () => {
    const proc = spawnApp('apps/server/src/main.ts', {
      ...valid,
      NODE_ENV: 'production',
      METRICS_TOKEN: 'scrape-token',
    });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output().trim().split('\n')).toEqual([
      'config error: WEBSITE_URL is required in production: the public https:// address (secure cookies, links in mail, Stripe return URLs)',
      expect.stringMatching(/^config error: MAIL_URL is required in production while SIGNUP_CREDITS > 0/),
    ]);
  });
});
