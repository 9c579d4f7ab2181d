/**
 * The worker path: the model answers a step → that step's progress event is on the Redis stream.
 * One real worker process (apps/worker, as the Procfile runs it) works through analyses one at a
 * time against the simulated model (no latency), on devstack's PostgreSQL and Redis.
 *
 *   pnpm bench:worker-path [--analyses=40] [--warmup=5] [--baseline=300] [--stream-ms=0] [--partials=4] [--label=current]
 *
 * `--label` keeps runs of different code apart in bench/results (e.g. `before` for a comparison).
 * `--stream-ms` paces each streamed answer over that long, as a real model does: the worker reads
 * the chunks as they come, so what follows the last one is what the path costs. At 0 every chunk
 * arrives at once and reading them all falls after `answeredAt`. `--partials=0` runs the worker with
 * PROGRESS_PARTIALS_PER_SECOND=0: whole answers, not streamed (the path before streaming).
 *
 * The simulator runs in this process and notes when it handed each answer to the socket
 * (`answeredAt`); a blocked XREAD in this process notes when each progress event arrives. One
 * clock, sub-millisecond (performance.now). Per answer: arrival of the next event − answeredAt.
 *
 * Raw baseline in the same run: what the path must at least do, from this process: one PostgreSQL
 * UPDATE of the analysis row (autocommit) and one XADD, timed to the arrival at a blocked XREAD.
 */
import { performance } from 'node:perf_hooks';
import { createDb, quotes } from '@revmemo/db';
import { createRedisConnection, eventsStreamKey, PROGRESS_EVENT_NAME } from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT as CONTRACT } from '../test/support/contracts';
import { spawnApp } from '../test/support/processes';
import { machine, printTable, ratio, saveResult, summarize } from './support/report';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const ANALYSES = arg('analyses', '40');
const WARMUP = arg('warmup', '5');
const BASELINE = arg('baseline', '300');
const STREAM_MS = arg('stream-ms', '0');
const PARTIALS = arg('partials', '4');
const LABEL = process.argv.find((a) => a.startsWith('--label='))?.split('=')[1] ?? 'current';
const CREDITS = 10;
const TERMINAL = ['completed', 'failed', 'canceled'];

const fieldsToObject = (fields: string[]) => {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
};
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: BenchStack | undefined;
let stopWorker: (() => Promise<void>) | undefined;
guard(
  () =>
    stack && {
      stop: async () => {
        await stopWorker?.();
        await stack?.stop();
      },
    },
  300_000,
);

interface Arrival {
  at: number;
  analysisId: string;
  kind: string;
  stage: string;
}

/** A blocked XREAD on `key` that timestamps every entry as it arrives. */
function readStream(
  redis: Redis,
  key: string,
  onEntry: (at: number, fields: Record<string, string>) => void,
) {
  let running = true;
  const done = (async () => {
    let last = '$';
    while (running) {
      const res = (await redis.xread('BLOCK', 200, 'STREAMS', key, last)) as
        | [string, [string, string[]][]][]
        | null;
      const at = now();
      for (const [, entries] of res ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          onEntry(at, fieldsToObject(fields));
        }
      }
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

async function main() {
  const started = Date.now();
  stack = await startBenchStack({
    extraEnv: {
      SIGNUP_CREDITS: String((ANALYSES + WARMUP + 5) * CREDITS),
      PROGRESS_PARTIALS_PER_SECOND: String(PARTIALS),
    },
  });
  const sim = stack.modelUrl.replace(/\/v1\/?$/, '');
  const database = createDb(stack.databaseUrl, { max: 2 });
  const { db } = database;
  const redis = createRedisConnection(stack.redisUrl);
  const reader = createRedisConnection(stack.redisUrl);

  const arrivals: Arrival[] = [];
  const waiters = new Map<string, () => void>();
  const stopReading = readStream(reader, eventsStreamKey(stack.prefix), (at, f) => {
    if (f.event !== PROGRESS_EVENT_NAME) return;
    const e = JSON.parse(f.payload ?? '{}') as { analysisId: string; kind: string; stage: string };
    arrivals.push({ at, analysisId: e.analysisId, kind: e.kind, stage: e.stage });
    if (TERMINAL.includes(e.kind)) waiters.get(e.analysisId)?.();
  });

  const worker = spawnApp('apps/worker/src/main.ts', stack.env);
  stopWorker = () => worker.stop().then(() => undefined);
  await worker.waitFor(/Worker started/, 120_000);

  const runTag = Date.now().toString(36);
  const user = await signUp(stack.url, `path-${runTag}@example.com`);
  const [row] = await db.execute<{ id: string }>(sql`SELECT id FROM "user" WHERE email = ${user.email}`);
  if (!row) throw new Error('no user');
  const client = trpcClient(stack.url, user.cookie);

  const samples: number[] = [];
  let failed = 0;
  for (let i = 0; i < WARMUP + ANALYSES; i++) {
    const [quote] = await db
      .insert(quotes)
      .values({
        userId: row.id,
        textHash: `${runTag}-${i}`,
        wordCount: 400,
        credits: CREDITS,
        fileNames: ['contract.txt'],
        documentText: CONTRACT,
        expiresAt: new Date(Date.now() + 60 * 60_000),
      })
      .returning({ quoteId: quotes.quoteId });
    await fetch(`${sim}/__sim/reset`, { method: 'POST' });
    if (STREAM_MS > 0)
      await fetch(`${sim}/__sim/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ streamMs: STREAM_MS }),
      });
    const { analysisId } = await client.analysis.submit.mutate({
      quoteId: quote?.quoteId as string,
      idempotencyKey: `path-${runTag}-${i}`,
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`analysis ${analysisId} did not end`)), 60_000);
      waiters.set(analysisId, () => {
        clearTimeout(t);
        resolve();
      });
      if (arrivals.some((a) => a.analysisId === analysisId && TERMINAL.includes(a.kind))) resolve();
    });
    waiters.delete(analysisId);
    const stats = (await (await fetch(`${sim}/__sim/stats`)).json()) as {
      requests: { answeredAt?: number; outcome: string }[];
    };
    // The step's own event (the next stage, or the end), not a partial published while it streamed.
    const mine = arrivals.filter((a) => a.analysisId === analysisId && a.kind !== 'partial');
    if (mine.at(-1)?.kind !== 'completed') failed++;
    if (i < WARMUP) continue;
    const answers = stats.requests.flatMap((r) => (r.answeredAt ? [r.answeredAt] : [])).sort((a, b) => a - b);
    answers.forEach((answeredAt, k) => {
      const next = mine.find((a) => a.at > answeredAt);
      if (!next) return;
      // Two answers before one event (a repair call in the same step): only the last one counts.
      const following = answers[k + 1];
      if (following !== undefined && following < next.at) return;
      samples.push(next.at - answeredAt);
    });
  }

  // The raw baseline: one UPDATE (its own commit) and one XADD, to arrival at a blocked reader.
  const baselineKey = `${stack.prefix}:bench:baseline`;
  const [target] = await db.execute<{ id: string }>(sql`SELECT analysis_id AS id FROM analyses LIMIT 1`);
  const base: number[] = [];
  let pending: ((at: number) => void) | undefined;
  const baselineReader = createRedisConnection(stack.redisUrl);
  const stopBaseline = readStream(baselineReader, baselineKey, (at) => pending?.(at));
  await sleep(300);
  for (let i = 0; i < BASELINE + 20; i++) {
    const t0 = now();
    const arrived = new Promise<number>((r) => {
      pending = r;
    });
    await db.execute(
      sql`UPDATE analyses SET progress_message = ${`baseline ${i}`} WHERE analysis_id = ${target?.id}`,
    );
    await redis.xadd(baselineKey, 'MAXLEN', '~', '1000', '*', 'payload', String(i));
    const at = await arrived;
    if (i >= 20) base.push(at - t0);
  }
  await stopBaseline();
  await stopReading();

  const all = summarize(samples);
  const baseline = summarize(base);
  const results = {
    answerToEvent: all,
    rawBaseline: baseline,
    p50OverBaseline: ratio(all.p50, baseline.p50),
    analyses: ANALYSES,
    notCompleted: failed,
  };
  const line = (label: string, s: ReturnType<typeof summarize>) => ({
    measure: label,
    n: s.n,
    'p50 ms': s.p50,
    'p95 ms': s.p95,
    'p50/raw': ratio(s.p50, baseline.p50),
  });
  printTable(`worker path: model answer → progress event on the stream (${ANALYSES} analyses, 1 worker)`, [
    line('model answer → next event', all),
    line('raw: UPDATE + XADD → reader', baseline),
  ]);
  if (failed) console.log(`\n${failed} analyses did not complete`);
  const saved = await saveResult('worker-path', {
    config: {
      label: LABEL,
      analyses: ANALYSES,
      warmup: WARMUP,
      baseline: BASELINE,
      streamMs: STREAM_MS,
      partials: PARTIALS,
    },
    at: new Date().toISOString(),
    machine: await machine(redis),
    seconds: Math.round((Date.now() - started) / 1000),
    results,
  });
  console.log(`wrote ${saved.file} (median over ${saved.runs} run(s) of this configuration)`);
  redis.disconnect();
  reader.disconnect();
  baselineReader.disconnect();
  await database.close();
}

main()
  .then(async () => {
    await stopWorker?.();
    await stack?.stop();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(err);
    await stopWorker?.();
    await stack?.stop();
    process.exit(1);
  });
