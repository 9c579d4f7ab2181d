/**
 * Live progress at scale (issue 13): the product's web process against a raw node:http SSE server
 * (bench/support/raw-sse-server.ts) measured in the same run, with the same client code.
 *
 *   pnpm bench:progress [--users=50] [--connect=1000] [--fanout=1000] [--open=10000] [--events=10]
 *
 * - connect: `--connect` new streams spread over `--users` users (each follows its own analysis):
 *   CPU seconds the server process used, per stream (session, ownership, snapshot, headers).
 * - fan-out: `--fanout` watchers of ONE analysis; `--events` events 300 ms apart: published -> the
 *   last watcher has it.
 * - memory: `--open` streams over the users' analyses; RSS idle, attached, peak while `--events`
 *   events per analysis are delivered, and whether every one arrived.
 * No worker runs: the bench publishes with the worker's own publisher, so both clocks are one.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ProgressEvent } from '@revmemo/contracts';
import { freePort } from '@revmemo/devstack';
import { createProgressPublisher, createRedisConnection, eventsStreamKey } from '@revmemo/queue';
import { Redis } from 'ioredis';
import { signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT } from '../test/support/contracts';
import { machine, printTable, ratio, rssMiB, saveResult, summarize } from './support/report';
import { cpuSeconds, openSse, type SseStream } from './support/sse-client';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const USERS = arg('users', '50');
const CONNECT = arg('connect', '1000');
const FANOUT = arg('fanout', '1000');
const OPEN = arg('open', '10000');
const EVENTS = arg('events', '10');
const BATCH = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(what: string, check: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let stack: BenchStack | undefined;
let rawServer: ReturnType<typeof spawn> | undefined;
guard(
  () =>
    stack && {
      stop: async () => {
        rawServer?.kill('SIGTERM');
        await stack?.stop();
      },
    },
  15 * 60_000,
);

interface Owner {
  analysisId: string;
  cookie: string;
}

async function main() {
  const started = Date.now();
  stack = await startBenchStack({
    extraEnv: { PROGRESS_STREAMS_PER_USER: '100000', PROGRESS_STREAMS_PER_PROCESS: '100000' },
  });
  const { url, redisUrl, prefix, serverPid } = stack;
  const monitor = new Redis(redisUrl);
  const publisherConnection = createRedisConnection(redisUrl);
  const publisher = createProgressPublisher({ connection: publisherConnection, prefix });

  const rawPort = await freePort();
  rawServer = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/support/raw-sse-server.ts',
      redisUrl,
      eventsStreamKey(prefix),
      String(rawPort),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    rawServer?.stdout?.on('data', (d: Buffer) => /listening/.test(String(d)) && resolve()),
  );
  const raw = { name: 'raw', url: `http://127.0.0.1:${rawPort}`, pid: rawServer.pid as number };
  const product = { name: 'product', url, pid: serverPid };

  const owners: Owner[] = [];
  for (let i = 0; i < USERS; i++) {
    const user = await signUp(url, `scale${i}-${Date.now()}@example.com`);
    const client = trpcClient(url, user.cookie);
    const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT });
    const { analysisId } = await client.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    owners.push({ analysisId, cookie: user.cookie });
  }
  console.log(`${USERS} users with an analysis each (${Math.round((Date.now() - started) / 1000)} s)`);

  let seq = 0;
  /** Grows across phases and targets, so every event moves every bar forward. */
  let phaseStep = 0;
  const sentAt = new Map<number, number>();
  // Percent only grows per analysis: the product never sends a step back (the raw server would).
  const eventOf = (analysisId: string, n: number, step: number): ProgressEvent => ({
    analysisId,
    status: 'running',
    stage: 'contract',
    kind: 'progress',
    percent: Math.min(99, 10 + step),
    message: `bench#${n}`,
    at: new Date().toISOString(),
    errorMessage: null,
  });

  /** Opens `n` streams (owner i % owners.length), in batches, each counted open at its first frame. */
  async function openStreams(
    target: { url: string },
    n: number,
    pick: (i: number) => Owner,
    onEvent: (seqNo: number) => void,
  ) {
    const streams: SseStream[] = [];
    let opened = 0;
    for (let i = 0; i < n; i += BATCH) {
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        const o = pick(j);
        let first = true;
        const input = encodeURIComponent(JSON.stringify({ analysisId: o.analysisId }));
        streams.push(
          openSse(`${target.url}/trpc/analysis.progress?input=${input}`, { cookie: o.cookie }, (data) => {
            if (first) {
              first = false;
              opened++;
              return;
            }
            const m = /"message":"bench#(\d+)"/.exec(data);
            if (m) onEvent(Number(m[1]));
          }),
        );
      }
      await waitUntil(`${streams.length} open streams`, () => opened >= streams.length);
    }
    return streams;
  }

  async function closeAll(streams: SseStream[]) {
    for (const s of streams) s.close();
    await Promise.all(streams.map((s) => s.closed));
    await sleep(500);
  }

  async function connectPhase(target: { url: string; pid: number }) {
    const cpu0 = await cpuSeconds(target.pid);
    const t0 = performance.now();
    const streams = await openStreams(
      target,
      CONNECT,
      (i) => owners[i % owners.length] as Owner,
      () => undefined,
    );
    const wallMs = performance.now() - t0;
    const cpuMs = ((await cpuSeconds(target.pid)) - cpu0) * 1000;
    await closeAll(streams);
    return {
      streams: CONNECT,
      cpuMsPerStream: Math.round((cpuMs / CONNECT) * 1000) / 1000,
      wallMs: Math.round(wallMs),
    };
  }

  async function fanoutPhase(target: { url: string; pid: number }) {
    const owner = owners[0] as Owner;
    const got = new Map<number, number>();
    const lastAt = new Map<number, number>();
    const streams = await openStreams(
      target,
      FANOUT,
      () => owner,
      (n) => {
        const c = (got.get(n) ?? 0) + 1;
        got.set(n, c);
        if (c === FANOUT) lastAt.set(n, performance.now());
      },
    );
    await sleep(500);
    const first = seq + 1;
    for (let e = 0; e < EVENTS; e++) {
      const n = ++seq;
      sentAt.set(n, performance.now());
      await publisher.publish(eventOf(owner.analysisId, n, phaseStep++));
      await sleep(300);
    }
    await waitUntil('every watcher to have every event', () => lastAt.size >= EVENTS, 30_000).catch(
      () => undefined,
    );
    const latencies: number[] = [];
    for (let n = first; n <= seq; n++) {
      const at = lastAt.get(n);
      if (at !== undefined) latencies.push(at - (sentAt.get(n) as number));
    }
    await closeAll(streams);
    return {
      watchers: FANOUT,
      events: EVENTS,
      complete: latencies.length,
      toLastWatcherMs: summarize(latencies),
    };
  }

  async function memoryPhase(target: { url: string; pid: number }) {
    const idle = await rssMiB(target.pid);
    let delivered = 0;
    const streams = await openStreams(
      target,
      OPEN,
      (i) => owners[i % owners.length] as Owner,
      () => {
        delivered++;
      },
    );
    await sleep(1000);
    const attached = await rssMiB(target.pid);
    let peak = attached;
    const sampling = setInterval(() => void rssMiB(target.pid).then((r) => (peak = Math.max(peak, r))), 100);
    for (let e = 0; e < EVENTS; e++) {
      for (const o of owners) await publisher.publish(eventOf(o.analysisId, ++seq, phaseStep));
      phaseStep++;
      await sleep(300);
    }
    const expected = OPEN * EVENTS;
    await waitUntil('every event delivered', () => delivered >= expected, 60_000).catch(() => undefined);
    clearInterval(sampling);
    await closeAll(streams);
    return {
      streams: OPEN,
      delivered,
      expected,
      rssIdleMiB: idle,
      rssAttachedMiB: attached,
      rssPeakMiB: peak,
      kbPerStream: Math.round((((attached - idle) * 1024) / OPEN) * 10) / 10,
    };
  }

  const results: Record<string, Record<string, unknown>> = {};
  for (const target of [product, raw]) {
    const connect = await connectPhase(target);
    const fanout = await fanoutPhase(target);
    const memory = await memoryPhase(target);
    results[target.name] = { connect, fanout, memory };
    console.log(`${target.name} done (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  type R = {
    connect: { cpuMsPerStream: number };
    fanout: { toLastWatcherMs: { p50: number; max: number } };
    memory: { kbPerStream: number };
  };
  const p = results.product as unknown as R;
  const r = results.raw as unknown as R;
  const ratios = {
    connectCpuProductOverRaw: ratio(p.connect.cpuMsPerStream, r.connect.cpuMsPerStream),
    fanoutP50ProductOverRaw: ratio(p.fanout.toLastWatcherMs.p50, r.fanout.toLastWatcherMs.p50),
    fanoutMaxProductOverRaw: ratio(p.fanout.toLastWatcherMs.max, r.fanout.toLastWatcherMs.max),
    memoryProductOverRaw: ratio(p.memory.kbPerStream, r.memory.kbPerStream),
  };
  printTable('progress at scale: product web process vs raw node:http SSE (same run, same client)', [
    ...(['product', 'raw'] as const).map((name) => {
      const x = results[name] as unknown as R & {
        memory: {
          delivered: number;
          expected: number;
          rssIdleMiB: number;
          rssAttachedMiB: number;
          rssPeakMiB: number;
        };
      };
      return {
        server: name,
        'connect CPU ms/stream': x.connect.cpuMsPerStream,
        'fan-out to last watcher p50/max ms': `${x.fanout.toLastWatcherMs.p50}/${x.fanout.toLastWatcherMs.max}`,
        'KB/stream': x.memory.kbPerStream,
        'RSS idle/attached/peak MiB': `${x.memory.rssIdleMiB}/${x.memory.rssAttachedMiB}/${x.memory.rssPeakMiB}`,
        delivered: `${x.memory.delivered}/${x.memory.expected}`,
      };
    }),
  ]);
  console.log(ratios);
  const saved = await saveResult('progress-scale', {
    config: { users: USERS, connect: CONNECT, fanout: FANOUT, open: OPEN, events: EVENTS },
    at: new Date().toISOString(),
    machine: await machine(monitor),
    seconds: Math.round((Date.now() - started) / 1000),
    results,
    ratios,
  });
  console.log(`\nwrote ${saved.file} (median over ${saved.runs} run(s) of this configuration)`);
  rawServer.kill('SIGTERM');
  publisherConnection.disconnect();
  monitor.disconnect();
  await stack.stop();
}

main().catch(async (err) => {
  console.error(err);
  console.error(stack?.serverOutput().slice(-2000));
  rawServer?.kill('SIGTERM');
  await stack?.stop();
  process.exit(1);
});
