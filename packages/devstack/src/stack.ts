import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SIMULATED_MODEL } from '@revmemo/config';
import { startModelSimulator } from '@revmemo/model-simulator';
import { DevstackError } from './errors';
import { startPostgres } from './postgres';
import { startRedis } from './redis';

type Env = Record<string, string | undefined>;

export interface Devstack {
  /** Variables to add to the environment of the processes that use the stack. */
  env: Record<string, string>;
  /** Human-readable lines: what was started, what came from the environment. */
  summary: string[];
  /** Admin URL of the embedded PostgreSQL (CREATE DATABASE), when one was started. */
  postgresAdminUrl?: string;
  stop(): Promise<void>;
}

export interface DevstackOptions {
  /** Where embedded services keep their data (`.data` under `pnpm dev`). */
  dataDir: string;
  /** Throw the data away on stop (tests). */
  ephemeral?: boolean;
  /** The caller's environment; a service is started only for the URLs missing from it. */
  env: Env;
  database?: string;
  log?: (line: string) => void;
}

/**
 * Starts what the environment does not provide: embedded PostgreSQL when DATABASE_URL is unset,
 * redis-server when REDIS_URL is unset, the simulated model when OPENAI_API_KEY is unset.
 * Whatever it started, stop() stops, newest first.
 */
export async function startDevstack(opts: DevstackOptions): Promise<Devstack> {
  const env: Record<string, string> = {};
  const summary: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  let postgresAdminUrl: string | undefined;
  // Checked before anything starts: a typo should not cost a PostgreSQL start and stop.
  const pace = opts.env.OPENAI_API_KEY ? null : simulatedStepPace(opts.env.SIMULATED_MODEL_STEP_SECONDS);
  /** Stops everything it started, newest first; then throws if any of them failed to stop. */
  const stop = async () => {
    const failures: unknown[] = [];
    for (const s of stops.reverse()) await s().catch((err: unknown) => failures.push(err));
    stops.length = 0;
    if (failures.length > 0)
      throw new AggregateError(failures, 'some embedded services did not stop cleanly');
  };
  try {
    if (!opts.env.DATABASE_URL) {
      const pg = await startPostgres({
        dataDir: join(opts.dataDir, 'postgres'),
        database: opts.database ?? 'revmemo',
        ephemeral: opts.ephemeral,
        log: opts.log,
      });
      stops.push(pg.stop);
      env.DATABASE_URL = pg.url;
      postgresAdminUrl = pg.adminUrl;
      summary.push(`PostgreSQL  embedded, ${pg.url}${opts.ephemeral ? '' : ` (data in ${pg.dataDir})`}`);
      if (pg.note) summary.push(`            data not in the requested folder: ${pg.note}`);
    } else summary.push('PostgreSQL  from DATABASE_URL');

    if (!opts.env.REDIS_URL) {
      const redis = await startRedis({
        dataDir: opts.ephemeral ? undefined : join(opts.dataDir, 'redis'),
        log: opts.log,
      });
      stops.push(redis.stop);
      env.REDIS_URL = redis.url;
      summary.push(`Redis       redis-server, ${redis.url}`);
    } else summary.push('Redis       from REDIS_URL');

    if (pace) {
      const sim = await startModelSimulator(pace);
      stops.push(sim.close);
      env.OPENAI_API_KEY = 'simulated';
      env.OPENAI_BASE_URL = sim.url;
      env.OPENAI_MODEL = SIMULATED_MODEL;
      summary.push(
        `Model       SIMULATED (no OPENAI_API_KEY): memos are produced by rules, not by an AI model`,
        `            each step streams its answer over ${(pace.latencyMs + pace.streamMs) / 1000} s (SIMULATED_MODEL_STEP_SECONDS)`,
      );
    } else
      summary.push(
        `Model       ${opts.env.OPENAI_MODEL ?? 'default'} via ${opts.env.OPENAI_BASE_URL ?? 'api.openai.com'}`,
      );

    if (!opts.env.AUTH_SECRET) env.AUTH_SECRET = await devAuthSecret(opts.dataDir, opts.ephemeral);
  } catch (err) {
    await stop().catch(() => undefined); // the start failure is the one to report
    throw err;
  }
  return { env, summary, postgresAdminUrl, stop };
}

/** Seconds one simulated step takes under `pnpm dev` unless SIMULATED_MODEL_STEP_SECONDS says otherwise. */
const DEFAULT_STEP_SECONDS = 4;
const MAX_STEP_SECONDS = 60;
/** Of those, the wait before the first token (a provider's time to first token). */
const FIRST_TOKEN_MS = 400;

/**
 * The simulated model's pace: slow enough that the live bar, the findings and the draft memo can
 * be watched (and the tab closed and reopened) during an analysis; 0 answers at once.
 */
function simulatedStepPace(raw: string | undefined): { latencyMs: number; streamMs: number } {
  const seconds = raw === undefined || raw.trim() === '' ? DEFAULT_STEP_SECONDS : Number(raw);
  // At most a minute: a step that outlasts MODEL_TIMEOUT_MS (120 s by default) would time out and retry.
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_STEP_SECONDS)
    throw new DevstackError(
      `SIMULATED_MODEL_STEP_SECONDS must be a number of seconds from 0 to ${MAX_STEP_SECONDS}, not "${raw}"`,
      'unset it for the default of 4, or 0 for instant answers',
    );
  const totalMs = Math.round(seconds * 1000);
  const latencyMs = Math.min(FIRST_TOKEN_MS, totalMs);
  return { latencyMs, streamMs: totalMs - latencyMs };
}

/** A development-only session secret, kept in the data dir so sessions survive restarts. */
async function devAuthSecret(dataDir: string, ephemeral?: boolean): Promise<string> {
  if (ephemeral) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'auth-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}
