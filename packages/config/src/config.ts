import { z } from 'zod';
import { type CreditPack, DEFAULT_CREDIT_PACKS, DEFAULT_PRICING_TIERS, type PricingTier } from './pricing';
import { rateLimitEnvShape, rateLimitsFromEnv } from './rate-limits';

/** Defaults of the document-extraction limits (the environment can override each; see toConfig). */
export const EXTRACTION_DEFAULTS = {
  maxPdfPages: 500,
  maxDocxPartBytes: 50 * 1024 * 1024,
  timeoutMs: 20_000,
  memoryMb: 512,
  concurrency: 2,
  maxQueue: 8,
} as const;

/** Defaults sized for I/O-bound work (docs/capacity.md has the memory they cost). */
export const CAPACITY_DEFAULTS = {
  workerConcurrency: 50,
  workerDbPool: 10,
  requestsPerMinute: 500,
  tokensPerMinute: 200_000,
  maxRunningPerUser: 10,
} as const;

/** Progress within a step (docs/progress-transport.md, "Progress within a step"). */
export const PROGRESS_DEFAULTS = {
  /** Partial events per analysis per second: a few a second is all a person can read off a bar. */
  partialsPerSecond: 4,
} as const;

/** The model name the simulated model server answers to; memos made with it are marked simulated. */
export const SIMULATED_MODEL = 'revmemo-simulated';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const int = (def: number, min = 0) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).default(def));
const urlWithProtocols = (protocols: string[], hint: string) =>
  z.string({ error: 'is required' }).refine(
    (v) => {
      try {
        const u = new URL(v);
        return protocols.includes(u.protocol) && u.hostname.length > 0;
      } catch {
        return false;
      }
    },
    { message: `must be a URL like ${hint}` },
  );
const jsonOf = <T extends z.ZodType>(schema: T, def: z.infer<T>) =>
  z.preprocess((v) => {
    const s = emptyToUndefined(v);
    if (s === undefined) return def;
    try {
      return JSON.parse(String(s));
    } catch {
      return { __invalidJson: true };
    }
  }, schema);

const tierSchema = z
  .array(z.object({ maxWords: z.number().int().positive(), credits: z.number().int().positive() }))
  .min(1);
const packSchema = z
  .array(
    z.object({
      id: z.string().min(1),
      name: z.string().min(1),
      credits: z.number().int().positive(),
      priceCents: z.number().int().positive(),
    }),
  )
  .min(1);

const envObject = z.object({
  NODE_ENV: z.preprocess(
    emptyToUndefined,
    z.enum(['development', 'test', 'production']).default('development'),
  ),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:'], 'postgres://user:pass@host:5432/db'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:'], 'redis://host:6379'),
  PORT: int(3000, 0),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  WEBSITE_URL: z.preprocess(
    emptyToUndefined,
    z.url({ error: 'must be a URL like https://app.example.com' }).optional(),
  ),
  OPENAI_API_KEY: z
    .string({ error: 'is required (or leave it unset under `pnpm dev` to use the simulated model)' })
    .min(1, 'is empty'),
  OPENAI_BASE_URL: z.preprocess(
    emptyToUndefined,
    z.url({ error: 'must be a URL like https://api.openai.com/v1' }).optional(),
  ),
  OPENAI_MODEL: z.preprocess(emptyToUndefined, z.string().default('gpt-4.1')),
  MODEL_TIMEOUT_MS: int(120_000, 1),
  MODEL_MAX_CONTEXT_TOKENS: int(100_000, 1),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_BASE: z.preprocess(emptyToUndefined, z.url().optional()),
  // Optional: unset, the server keeps a generated secret in PostgreSQL (see apps/server/src/main.ts).
  AUTH_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  SIGNUP_CREDITS: int(50, 0),
  PRICING_TIERS: jsonOf(tierSchema, DEFAULT_PRICING_TIERS),
  CREDIT_PACKS: jsonOf(packSchema, DEFAULT_CREDIT_PACKS),
  QUOTE_TTL_MINUTES: int(60, 1),
  MAX_UPLOAD_BYTES: int(10 * 1024 * 1024, 1),
  MAX_WORDS: int(60_000, 1),
  /** Pages of one PDF; counted from the page tree before any page is parsed. */
  MAX_PDF_PAGES: int(EXTRACTION_DEFAULTS.maxPdfPages, 1),
  /** Inflated bytes of one part of a DOCX (zip), checked from the zip directory before inflating. */
  MAX_DOCX_PART_BYTES: int(EXTRACTION_DEFAULTS.maxDocxPartBytes, 1),
  /** Wall-clock limit of reading one upload (in a worker thread, terminated past it). */
  EXTRACTION_TIMEOUT_MS: int(EXTRACTION_DEFAULTS.timeoutMs, 1),
  /** Heap of one extraction thread. */
  EXTRACTION_MEMORY_MB: int(EXTRACTION_DEFAULTS.memoryMb, 16),
  /** Extraction threads per web process, and uploads allowed to wait for one. */
  EXTRACTION_CONCURRENCY: int(EXTRACTION_DEFAULTS.concurrency, 1),
  EXTRACTION_QUEUE: int(EXTRACTION_DEFAULTS.maxQueue, 0),
  QUEUE_PREFIX: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9:_-]+$/)
      .default('revmemo'),
  ),
  // ---- capacity and fairness (docs/capacity.md) ----
  /** Analyses one worker process runs at once: they mostly wait on the model, so dozens fit. */
  WORKER_CONCURRENCY: int(CAPACITY_DEFAULTS.workerConcurrency, 1),
  /** PostgreSQL connections of one worker process (its writes are short; analyses share them). */
  WORKER_DB_POOL: int(CAPACITY_DEFAULTS.workerDbPool, 2),
  /** The provider's limits, shared by every worker through Redis; 0 = no limit. */
  MODEL_REQUESTS_PER_MINUTE: int(CAPACITY_DEFAULTS.requestsPerMinute, 0),
  MODEL_TOKENS_PER_MINUTE: int(CAPACITY_DEFAULTS.tokensPerMinute, 0),
  /** The window the two limits above are counted over (a minute; shorter only for tests). */
  MODEL_BUDGET_WINDOW_MS: int(60_000, 100),
  /** Analyses of one user admitted to the workers at once; the rest wait their turn, in order. */
  MAX_RUNNING_PER_USER: int(CAPACITY_DEFAULTS.maxRunningPerUser, 1),
  /** How often waiting analyses are told their place in the queue. */
  QUEUE_POSITION_INTERVAL_MS: int(2_000, 100),
  WORKER_LOCK_DURATION_MS: int(30_000, 100),
  WORKER_STALLED_INTERVAL_MS: int(30_000, 100),
  JOB_ATTEMPTS: int(4, 1),
  JOB_BACKOFF_MS: int(5_000, 0),
  PROGRESS_EVENTS_MAXLEN: int(10_000, 100),
  /**
   * Partial-progress events one analysis publishes per second at most while a step streams; 0 turns
   * progress within a step off. Capped at 20: more would only add stream volume, not a smoother bar.
   */
  PROGRESS_PARTIALS_PER_SECOND: z.preprocess(
    emptyToUndefined,
    z.coerce.number().int().min(0).max(20).default(PROGRESS_DEFAULTS.partialsPerSecond),
  ),
  // ---- Live progress streams (docs/progress-transport.md, "Stream caps") ----
  /** Open progress streams one user may hold on one web process; the next one is refused (429). */
  PROGRESS_STREAMS_PER_USER: int(20, 1),
  /** Open progress streams one web process holds at most, all users together. */
  PROGRESS_STREAMS_PER_PROCESS: int(20_000, 1),
  SWEEPER_INTERVAL_MS: int(30_000, 100),
  /** How long a stopping worker lets running jobs reach a step boundary before cutting model calls. */
  WORKER_SHUTDOWN_GRACE_MS: int(20_000, 0),
  /** Tries of one model step (transient failures only) before the job-level retry takes over. */
  MODEL_STEP_TRIES: int(4, 1),
  /** Longest a step keeps retrying in-process; a longer Retry-After delays the whole job instead. */
  MODEL_STEP_RETRY_BUDGET_MS: int(60_000, 0),
  /** First backoff of the in-step retry (exponential with full jitter). */
  MODEL_STEP_BACKOFF_MS: int(1_000, 0),
  /** Worker deaths at the same step, with no step finished in between, before a contract is poison. */
  POISON_STALLS: int(5, 1),
  /** Unset: the worker serves no metrics. Set: GET /metrics on that port (the worker has no other HTTP). */
  /** Which proxies may set X-Forwarded-For: unset/false (none), true, a hop count, or comma-separated CIDRs. */
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().default('false')),
  /** When set, /metrics wants `Authorization: Bearer <token>`. */
  METRICS_TOKEN: optionalString,
  WORKER_METRICS_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65_535).optional()),
  ANALYSIS_EXECUTION: z.preprocess(emptyToUndefined, z.enum(['queue', 'inline']).default('queue')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  // Accounts: verification and password-reset mail (docs/accounts.md).
  /** SMTP server for account mail, e.g. smtp://user:pass@host:587 (smtps:// for implicit TLS on 465). */
  MAIL_URL: z.preprocess(
    emptyToUndefined,
    urlWithProtocols(['smtp:', 'smtps:'], 'smtp://user:pass@smtp.example.com:587').optional(),
  ),
  /** The From of account mail; unset: `Revmemo <no-reply@WEBSITE_URL's host>`. */
  MAIL_FROM: optionalString,
  // --- Limits and retention (issue 12; docs/limits.md) ---
  ...rateLimitEnvShape,
  /** Calls one tRPC batch may carry; a larger batch is refused with 400 naming this number. */
  MAX_BATCH_SIZE: int(20, 10),
  /** Hours after a quote expires until its document text, context and file names are deleted. */
  QUOTE_RETENTION_HOURS: int(24, 0),
  /** Days after a quote expires until the textless row of an unused quote is deleted too. */
  QUOTE_RECORD_DAYS: int(30, 1),
  /** How often the quote cleanup runs (once per interval across all workers). */
  QUOTE_CLEANUP_INTERVAL_MS: int(10 * 60_000, 100),
  /** Where the worker's metrics listener binds; loopback unless told otherwise. */
  WORKER_METRICS_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
});

// Checkout without a webhook secret would take payments whose credits never arrive.
const envSchema = envObject.superRefine((e, ctx) => {
  // A public /metrics tells anyone the queue depths and traffic; production must lock it.
  if (e.NODE_ENV === 'production' && !e.METRICS_TOKEN) {
    ctx.addIssue({
      code: 'custom',
      path: ['METRICS_TOKEN'],
      message: 'is required in production (scrapers send it as `Authorization: Bearer <token>`)',
    });
  }
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['STRIPE_WEBHOOK_SECRET'],
      message:
        'is required when STRIPE_SECRET_KEY is set (without it paid checkouts would never be credited)',
    });
  }
  productionAccountRules(e, ctx);
});

/**
 * Production needs its public URL (cookies get `Secure`, mail links and Stripe return there, not to
 * localhost) and, while sign-ups earn credits, a way to send the verification mail that releases them.
 */
function productionAccountRules(e: z.infer<typeof envObject>, ctx: z.RefinementCtx) {
  if (e.NODE_ENV !== 'production') return;
  if (!e.WEBSITE_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['WEBSITE_URL'],
      message:
        'is required in production: the public https:// address (secure cookies, links in mail, Stripe return URLs)',
    });
  }
  if (!e.MAIL_URL && e.SIGNUP_CREDITS > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['MAIL_URL'],
      message: `is required in production while SIGNUP_CREDITS > 0 (${e.SIGNUP_CREDITS}): sign-up credits are granted when the emailed verification link is followed (or set SIGNUP_CREDITS=0)`,
    });
  }
}

/** `Revmemo <no-reply@host>` from the public URL when MAIL_FROM is unset. */
function defaultMailFrom(websiteUrl: string): string {
  return `Revmemo <no-reply@${new URL(websiteUrl).hostname}>`;
}

function parseTrustProxy(v: string): boolean | number | string[] {
  if (v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function toConfig(e: z.infer<typeof envSchema>) {
  const tiers: PricingTier[] = [...e.PRICING_TIERS].sort((a, b) => a.maxWords - b.maxWords);
  const packs: CreditPack[] = e.CREDIT_PACKS;
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    http: { port: e.PORT, host: e.HOST, websiteUrl: e.WEBSITE_URL ?? `http://localhost:${e.PORT}` },
    model: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      name: e.OPENAI_MODEL,
      simulated: e.OPENAI_MODEL === SIMULATED_MODEL,
      timeoutMs: e.MODEL_TIMEOUT_MS,
      maxContextTokens: e.MODEL_MAX_CONTEXT_TOKENS,
      budget: {
        requestsPerMinute: e.MODEL_REQUESTS_PER_MINUTE,
        tokensPerMinute: e.MODEL_TOKENS_PER_MINUTE,
        windowMs: e.MODEL_BUDGET_WINDOW_MS,
      },
      stepRetry: {
        tries: e.MODEL_STEP_TRIES,
        budgetMs: e.MODEL_STEP_RETRY_BUDGET_MS,
        backoffMs: e.MODEL_STEP_BACKOFF_MS,
      },
    },
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      /** Only for tests and local Stripe-compatible servers; production leaves it unset. */
      apiBase: e.STRIPE_API_BASE,
      packs,
    },
    auth: { secret: e.AUTH_SECRET, signupCredits: e.SIGNUP_CREDITS },
    pricing: {
      tiers,
      quoteTtlMs: e.QUOTE_TTL_MINUTES * 60_000,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      maxWords: e.MAX_WORDS,
    },
    extraction: {
      maxPdfPages: e.MAX_PDF_PAGES,
      maxDocxPartBytes: e.MAX_DOCX_PART_BYTES,
      timeoutMs: e.EXTRACTION_TIMEOUT_MS,
      memoryMb: e.EXTRACTION_MEMORY_MB,
      concurrency: e.EXTRACTION_CONCURRENCY,
      maxQueue: e.EXTRACTION_QUEUE,
    },
    queue: {
      prefix: e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      dbPool: e.WORKER_DB_POOL,
      maxRunningPerUser: e.MAX_RUNNING_PER_USER,
      positionIntervalMs: e.QUEUE_POSITION_INTERVAL_MS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      eventsMaxLen: e.PROGRESS_EVENTS_MAXLEN,
      partialsPerSecond: e.PROGRESS_PARTIALS_PER_SECOND,
      sweeperIntervalMs: e.SWEEPER_INTERVAL_MS,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      poisonStalls: e.POISON_STALLS,
      execution: e.ANALYSIS_EXECUTION,
      metricsPort: e.WORKER_METRICS_PORT,
    },
    mail: { url: e.MAIL_URL, from: e.MAIL_FROM ?? defaultMailFrom(e.WEBSITE_URL ?? 'http://localhost') },
    progressStreams: {
      perUser: e.PROGRESS_STREAMS_PER_USER,
      perProcess: e.PROGRESS_STREAMS_PER_PROCESS,
    },
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    metricsToken: e.METRICS_TOKEN,
    limits: {
      rates: rateLimitsFromEnv(e),
      maxBatchSize: e.MAX_BATCH_SIZE,
    },
    retention: {
      quoteTextMs: e.QUOTE_RETENTION_HOURS * 3_600_000,
      quoteRecordMs: e.QUOTE_RECORD_DAYS * 86_400_000,
      cleanupIntervalMs: e.QUOTE_CLEANUP_INTERVAL_MS,
    },
    workerMetricsHost: e.WORKER_METRICS_HOST,
    logLevel: e.LOG_LEVEL,
  };
}

export type Config = ReturnType<typeof toConfig>;

/** Thrown with one line per bad variable: `DATABASE_URL must be a URL like ...`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function parseConfig(env: Env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const message =
        issue.code === 'invalid_type' && env[name] === undefined ? 'is required' : issue.message;
      return `${name} ${message.startsWith('is ') || message.startsWith('must ') ? message : `is invalid: ${message}`}`;
    });
    throw new ConfigError(problems);
  }
  return toConfig(result.data);
}

export interface EnvVariableStatus {
  /** Present and not blank. */
  set: boolean;
  /** Why the value (or its absence) is unacceptable; undefined when it parses. */
  problem?: string;
}

/**
 * Every variable the schema knows, judged one by one instead of all-or-nothing: `pnpm ops doctor`
 * reports a broken environment line by line rather than stopping at the first bad value.
 */
export function describeEnv(env: Env): Record<string, EnvVariableStatus> {
  const problems = new Map<string, string>();
  try {
    parseConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) {
      const [name = 'environment', ...rest] = p.split(' ');
      problems.set(name, rest.join(' '));
    }
  }
  const out: Record<string, EnvVariableStatus> = {};
  for (const name of Object.keys(envObject.shape)) {
    out[name] = { set: emptyToUndefined(env[name]) !== undefined, problem: problems.get(name) };
  }
  return out;
}

/** The process environment; the one place `process.env` is read (devstack passes it on to children). */
export function readEnv(): Env {
  return { ...process.env };
}

/** Parse the process environment once at start; a bad value stops the process with one line naming it. */
export function loadConfig(env: Env = readEnv()): Config {
  try {
    return parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`config error: ${p}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
