/**
 * A web deploy under load (issue 13): two web processes, `--watchers` progress streams on each over
 * `--analyses` running analyses; SIGTERM one. Every watcher of the stopped process reconnects to the
 * other with its last id (as EventSource does through a load balancer), and the benchmark checks that
 * nothing was missed or repeated, how long until every watcher was back, and /healthz latency on the
 * survivor meanwhile. Baseline in the same run: /healthz on the survivor before the storm.
 *
 *   pnpm bench:storm [--watchers=2500] [--analyses=500] [--users=50] [--every-ms=2000]
 *
 * The benchmark publishes the analyses' events itself (the worker's publisher), one per analysis every
 * `--every-ms`, before, during and after the storm.
 */
import { performance } from 'node:perf_hooks';
import type { ProgressEvent } from '@revmemo/contracts';
import { createProgressPublisher, createRedisConnection } from '@revmemo/queue';
import { Redis } from 'ioredis';
import { signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT } from '../test/support/contracts';
import { machine, printTable, ratio, saveResult, summarize } from './support/report';
import { cpuSeconds, openSse } from './support/sse-client';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const WATCHERS = arg('watchers', '2500');
const ANALYSES = arg('analyses', '500');
const USERS = arg('users', '50');
const EVERY_MS = arg('every-ms', '2000');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(what: string, check: () => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let stack: BenchStack | undefined;
guard(() => stack, 15 * 60_000);

interface Followed {
  analysisId: string;
  cookie: string;
}

interface Watcher {
  f: Followed;
  /** Benchmark sequence numbers received (from the event message), in order. */
  got: number[];
  lastId: string | undefined;
  connectedOn: string | undefined;
  resumedAt: number | undefined;
  close(): void;
}

async function main() {
  const started = Date.now();
  stack = await startBenchStack({
    servers: 2,
    extraEnv: { PROGRESS_STREAMS_PER_USER: '100000', PROGRESS_STREAMS_PER_PROCESS: '100000' },
  });
  const survivor = stack.url;
  const leaving = stack.others[0];
  const leavingUrl = stack.otherUrls[0];
  if (!leaving || !leavingUrl) throw new Error('no second server');
  const monitor = new Redis(stack.redisUrl);
  const publisherConnection = createRedisConnection(stack.redisUrl);
  const publisher = createProgressPublisher({ connection: publisherConnection, prefix: stack.prefix });

  const users: string[] = [];
  for (let i = 0; i < USERS; i++)
    users.push((await signUp(survivor, `storm${i}-${Date.now()}@example.com`)).cookie);
  const followed: Followed[] = [];
  await Promise.all(
    users.map(async (cookie, u) => {
      const client = trpcClient(survivor, cookie);
      for (let k = u; k < ANALYSES; k += USERS) {
        const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT });
        const { analysisId } = await client.analysis.submit.mutate({
          quoteId: quote.quoteId,
          idempotencyKey: crypto.randomUUID(),
        });
        followed.push({ analysisId, cookie });
      }
    }),
  );
  console.log(`${USERS} users, ${followed.length} analyses (${Math.round((Date.now() - started) / 1000)} s)`);

  // Each analysis publishes one event every EVERY_MS, spread evenly; the sequence number per analysis
  // is in the message, so every watcher can check it got each exactly once.
  const published = new Map<string, number[]>();
  let publishing = true;
  let step = 0;
  const publishLoop = (async () => {
    while (publishing) {
      const gap = EVERY_MS / followed.length;
      const t0 = performance.now();
      step++;
      for (let i = 0; i < followed.length && publishing; i++) {
        const f = followed[i] as Followed;
        const wait = t0 + i * gap - performance.now();
        if (wait > 1) await sleep(wait);
        const event: ProgressEvent = {
          analysisId: f.analysisId,
          status: 'running',
          stage: 'contract',
          kind: 'progress',
          percent: Math.min(99, step),
          message: `storm#${step}`,
          at: new Date().toISOString(),
          errorMessage: null,
        };
        await publisher.publish(event);
        const list = published.get(f.analysisId) ?? [];
        list.push(step);
        published.set(f.analysisId, list);
      }
    }
  })();

  function watch(w: Watcher, url: string) {
    const input = encodeURIComponent(JSON.stringify({ analysisId: w.f.analysisId }));
    const stream = openSse(
      `${url}/trpc/analysis.progress?input=${input}`,
      { cookie: w.f.cookie, ...(w.lastId ? { 'last-event-id': w.lastId } : {}) },
      (data, id) => {
        if (id) w.lastId = id;
        const m = /"message":"storm#(\d+)"/.exec(data);
        if (m) w.got.push(Number(m[1]));
      },
      () => {
        w.connectedOn = url;
        if (url === survivor && w.resumedAt === undefined && stormAt !== undefined)
          w.resumedAt = performance.now();
      },
    );
    w.close = () => stream.close();
    // The load balancer sends every reconnect to the survivor once the other is going away.
    void stream.closed.then(() => {
      if (reconnecting && w.connectedOn === leavingUrl) watch(w, survivor);
    });
  }

  let stormAt: number | undefined;
  let reconnecting = false;
  const watchers: Watcher[] = [];
  for (const [url, n] of [
    [survivor, WATCHERS],
    [leavingUrl, WATCHERS],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const w: Watcher = {
        f: followed[i % followed.length] as Followed,
        got: [],
        lastId: undefined,
        connectedOn: undefined,
        resumedAt: undefined,
        close: () => undefined,
      };
      watchers.push(w);
      watch(w, url);
      if (i % 200 === 199)
        await waitUntil('streams to open', () => watchers.every((x) => x.lastId !== undefined));
    }
  }
  await waitUntil('every stream open', () => watchers.every((x) => x.lastId !== undefined));
  console.log(`${watchers.length} watchers open (${Math.round((Date.now() - started) / 1000)} s)`);
  await sleep(EVERY_MS * 2);

  async function probeHealth(untilDone: () => boolean) {
    const samples: number[] = [];
    while (!untilDone()) {
      const t0 = performance.now();
      await fetch(`${survivor}/healthz`).then((r) => r.text());
      samples.push(performance.now() - t0);
      await sleep(20);
    }
    return summarize(samples);
  }
  let baselineDone = false;
  const baselineProbe = probeHealth(() => baselineDone);
  await sleep(3000);
  baselineDone = true;
  const healthBefore = await baselineProbe;

  const moving = watchers.filter((w) => w.connectedOn === leavingUrl);
  reconnecting = true;
  stormAt = performance.now();
  let stormDone = false;
  const stormProbe = probeHealth(() => stormDone);
  const cpuBefore = await cpuSeconds(stack.serverPid);
  leaving.kill('SIGTERM');
  const exitCode = await leaving.exited;
  await waitUntil(
    'every watcher back on the survivor',
    () => moving.every((w) => w.resumedAt !== undefined),
    120_000,
  );
  const resumeMs = Math.max(...moving.map((w) => (w.resumedAt as number) - (stormAt as number)));
  // Survivor CPU while it took the reconnects (its ordinary event traffic included).
  const survivorCpuMsPerReconnect =
    Math.round((((await cpuSeconds(stack.serverPid)) - cpuBefore) * 1e6) / moving.length) / 1000;
  await sleep(1000);
  stormDone = true;
  const healthDuring = await stormProbe;

  // Let a few more events flow, stop publishing, let the last ones arrive, then check every watcher.
  await sleep(EVERY_MS * 2);
  publishing = false;
  await publishLoop;
  await sleep(2000);
  let missed = 0;
  let repeated = 0;
  for (const w of watchers) {
    const all = published.get(w.f.analysisId) ?? [];
    const from = w.got[0];
    const expected = from === undefined ? [] : all.filter((s) => s >= from);
    repeated += w.got.length - new Set(w.got).size;
    const have = new Set(w.got);
    missed += expected.filter((s) => !have.has(s)).length;
  }
  for (const w of watchers) w.close();

  const result = {
    watchersPerProcess: WATCHERS,
    analyses: followed.length,
    moved: moving.length,
    leavingExitCode: exitCode,
    everyWatcherBackWithinMs: Math.round(resumeMs),
    survivorCpuMsPerReconnect,
    missed,
    repeated,
    healthzBeforeMs: healthBefore,
    healthzDuringStormMs: healthDuring,
    healthzP99DuringOverBefore: ratio(healthDuring.p99, healthBefore.p99),
  };
  printTable('deploy storm: SIGTERM one of two web processes', [
    {
      'watchers moved': moving.length,
      'all back within ms': result.everyWatcherBackWithinMs,
      'survivor CPU ms/reconnect': survivorCpuMsPerReconnect,
      missed,
      repeated,
      '/healthz p50/p99 before ms': `${healthBefore.p50}/${healthBefore.p99}`,
      '/healthz p50/p99 storm ms': `${healthDuring.p50}/${healthDuring.p99}`,
    },
  ]);
  const saved = await saveResult('deploy-storm', {
    config: { watchers: WATCHERS, analyses: ANALYSES, users: USERS, everyMs: EVERY_MS },
    at: new Date().toISOString(),
    machine: await machine(monitor),
    seconds: Math.round((Date.now() - started) / 1000),
    result,
  });
  console.log(`\nwrote ${saved.file} (median over ${saved.runs} run(s) of this configuration)`);
  publisherConnection.disconnect();
  monitor.disconnect();
  await stack.stop();
  if (missed || repeated) process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err);
  console.error(stack?.serverOutput().slice(-2000));
  await stack?.stop();
  process.exit(1);
});
