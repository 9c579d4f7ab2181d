import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';

export const resultsDir = resolve(import.meta.dirname, '../results');

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in the unit of the samples (ms here), rounded to 0.01. */
export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) =>
    s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0) : 0;
  const r = (x: number) => Math.round(x * 100) / 100;
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return {
    n: s.length,
    p50: r(at(50)),
    p95: r(at(95)),
    p99: r(at(99)),
    max: r(s[s.length - 1] ?? 0),
    mean: r(mean),
  };
}

export const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 100) / 100);

export function printTable(title: string, rows: Record<string, string | number>[]) {
  const cols = Object.keys(rows[0] ?? {});
  const width = (c: string) => Math.max(c.length, ...rows.map((r) => String(r[c]).length));
  const line = (cells: string[]) => cells.map((v, i) => v.padStart(width(cols[i] as string))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(line(cols.map((c) => '-'.repeat(width(c)))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

export async function machine(redis: Redis) {
  const info = await redis.info('server');
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return 0;
  }
}

export async function redisClients(redis: Redis): Promise<{ connected: number; blocked: number }> {
  const info = await redis.info('clients');
  return {
    connected: Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0),
    blocked: Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0),
  };
}

/** Samples server RSS and Redis clients every `everyMs` until stop(); keeps the peaks. */
export function startSampler(opts: { pid: number; redis: Redis; everyMs?: number }) {
  let rssPeak = 0;
  let connectedPeak = 0;
  let running = true;
  const tick = async () => {
    while (running) {
      rssPeak = Math.max(rssPeak, await rssMiB(opts.pid));
      connectedPeak = Math.max(connectedPeak, (await redisClients(opts.redis)).connected);
      await new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
    }
  };
  const done = tick();
  return {
    async stop() {
      running = false;
      await done;
      return { rssPeakMiB: rssPeak, redisConnectedPeak: connectedPeak };
    },
  };
}

type Json = number | string | boolean | null | Json[] | { [k: string]: Json };

/** Numbers become the median over runs, position by position; anything else is taken from the newest run. */
function medianOf(values: Json[]): Json {
  const newest = values[values.length - 1] ?? null;
  if (typeof newest === 'number') {
    const nums = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
    const mid = Math.floor(nums.length / 2);
    const m =
      nums.length % 2 ? (nums[mid] as number) : ((nums[mid - 1] as number) + (nums[mid] as number)) / 2;
    return Math.round(m * 100) / 100;
  }
  if (Array.isArray(newest)) {
    return newest.map((_, i) => medianOf(values.map((v) => (Array.isArray(v) ? (v[i] ?? null) : null))));
  }
  if (newest && typeof newest === 'object') {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(newest)) {
      out[k] = medianOf(
        values.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? (v[k] ?? null) : null)),
      );
    }
    return out;
  }
  return newest;
}

const KEEP_RUNS = 20;

/**
 * bench/results/<name>.json keeps the last runs (any configuration) and the median over the runs
 * that share this run's configuration (`config`): the figures the README quotes.
 */
export async function saveResult(name: string, run: { config: object; [k: string]: unknown }) {
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  let runs: Json[] = [];
  try {
    runs = (JSON.parse(await readFile(file, 'utf8')) as { runs?: Json[] }).runs ?? [];
  } catch {
    // no history yet
  }
  runs = [...runs, run as unknown as Json].slice(-KEEP_RUNS);
  // A median only over runs of the same configuration on the same kind of machine: figures from
  // another CPU are not the same measurement.
  const keyOf = (r: { config?: unknown; machine?: { cpu?: unknown; cores?: unknown } }) =>
    JSON.stringify([r.config, r.machine?.cpu ?? null, r.machine?.cores ?? null]);
  const key = keyOf(run as Parameters<typeof keyOf>[0]);
  const same = runs.filter((r) => keyOf(r as Parameters<typeof keyOf>[0]) === key);
  const median = medianOf(same);
  await writeFile(
    file,
    `${JSON.stringify({ benchmark: name, medianOverRuns: same.length, median, runs }, null, 2)}\n`,
  );
  return { file, runs: same.length, median };
}
