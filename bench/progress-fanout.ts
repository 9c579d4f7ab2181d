/**
 * Live progress fan-out: N browsers following analyses over tRPC SSE against a real server process
 * (ONE shared Redis reader per process), against the design's forbidden baseline measured in the same
 * run: N raw blocking XREADs on the same stream, one Redis connection each.
 *
 *   pnpm bench:fanout [--subscribers=50,200,1000] [--analyses=20] [--ticks=16] [--tick-ms=500]
 *
 * Events are published with the worker's own publisher (createProgressPublisher) from this process,
 * so publish and receive times come from one clock. Latency = receive - just before XADD.
 */
import { performance } from 'node:perf_hooks';
import type { ProgressEvent } from '@revmemo/contracts';
import {
  createProgressPublisher,
  createRedisConnection,
  eventsStreamKey,
  PROGRESS_EVENT_NAME,
} from '@revmemo/queue';
import { Redis } from 'ioredis';
import { type TestClient as BenchClient, signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT as CONTRACT } from '../test/support/contracts';
import {
  machine,
  printTable,
  ratio,
  redisClients,
  rssMiB,
  saveResult,
  startSampler,
  summarize,
} from './support/report';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const SUBSCRIBERS = arg('subscribers', '50,200,1000').split(',').map(Number);
const ANALYSES = Number(arg('analyses', '20'));
const TICKS = Number(arg('ticks', '20'));
const TICK_MS = Number(arg('tick-ms', '500'));
/** `trpc`: the web app's httpSubscriptionLink over EventSource; `fetch`: a minimal SSE parser (cheaper client). */
const CLIENT = arg('client', 'trpc') as 'trpc' | 'fetch';
const OPEN_BATCH = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Followed {
  analysisId: string;
  client: BenchClient;
  cookie: string;
}

interface Handlers {
  onData(data: ProgressEvent): void;
  onError(): void;
}

/** analysis.progress over plain fetch: `id:`/`data:` lines, one JSON ProgressEvent per data line. */
function fetchSubscribe(url: string, f: Followed, h: Handlers): { unsubscribe(): void } {
  const ac = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ analysisId: f.analysisId }));
  void (async () => {
    const res = await fetch(`${url}/trpc/analysis.progress?input=${input}`, {
      headers: { cookie: f.cookie, accept: 'text/event-stream' },
      signal: ac.signal,
    });
    if (!res.ok || !res.body) throw new Error(`progress: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        const message = buf.slice(0, end);
        buf = buf.slice(end + 2);
        end = buf.indexOf('\n\n');
        if (/^event:/m.test(message)) continue; // connected, ping, return
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (data) h.onData(JSON.parse(data) as ProgressEvent);
      }
    }
  })().catch((err: unknown) => {
    if (!ac.signal.aborted) h.onError();
    void err;
  });
  return { unsubscribe: () => ac.abort() };
}

function subscribe(url: string, f: Followed, h: Handlers): { unsubscribe(): void } {
  if (CLIENT === 'fetch') return fetchSubscribe(url, f, h);
  return f.client.analysis.progress.subscribe(
    { analysisId: f.analysisId },
    { onData: ({ data }) => h.onData(data), onError: h.onError },
  );
}

let stack: BenchStack | undefined;
guard(() => stack, 5 * 60_000);

async function main() {
  const started = Date.now();
  stack = await startBenchStack();
  const { url, redisUrl, prefix, serverPid } = stack;
  const monitor = new Redis(redisUrl);
  const publisherConnection = createRedisConnection(redisUrl);
  const publisher = createProgressPublisher({ connection: publisherConnection, prefix });
  const streamKey = eventsStreamKey(prefix);

  // ANALYSES signed-up users (Better Auth over HTTP), each with one submitted analysis of their own.
  // No worker runs, so each stays queued and the benchmark is the only publisher.
  const followed: Followed[] = [];
  for (let i = 0; i < ANALYSES; i++) {
    const user = await signUp(url, `fan${i}-${Date.now()}@example.com`);
    const client = trpcClient(url, user.cookie);
    const quote = await client.analysis.quote.mutate({ text: CONTRACT });
    const submitted = await client.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: `bench-fanout-${i}-${Date.now()}`,
    });
    followed.push({ analysisId: submitted.analysisId, client, cookie: user.cookie });
  }

  // Subscribers are spread over the analyses: subscriber i follows analysis i % ANALYSES as its owner.
  let seq = 0;
  const sentAt = new Map<number, number>();
  const event = (analysisId: string, n: number, tick: number): ProgressEvent => ({
    analysisId,
    status: 'running',
    stage: 'contract',
    kind: 'progress',
    percent: Math.min(99, 10 + tick),
    message: `bench#${n}`,
    at: new Date().toISOString(),
    errorMessage: null,
  });
  const seqOf = (message: string) => Number(message.slice('bench#'.length));

  /**
   * Every tick publishes one event per analysis, spread evenly over the tick (analyses progress
   * independently; a burst would measure queueing, not fan-out), so every subscriber expects TICKS events.
   */
  async function publishTicks() {
    const gap = TICK_MS / followed.length;
    const start = performance.now();
    const pending: Promise<string>[] = [];
    for (let k = 0; k < TICKS * followed.length; k++) {
      const wait = start + k * gap - performance.now();
      if (wait > 1) await sleep(wait);
      const f = followed[k % followed.length] as Followed;
      const n = ++seq;
      sentAt.set(n, performance.now());
      pending.push(publisher.publish(event(f.analysisId, n, Math.floor(k / followed.length))));
    }
    await Promise.all(pending);
  }

  async function sseSubscriptions(): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^revmemo_sse_subscriptions (\d+)/m.exec(text)?.[1] ?? -1);
  }

  async function hubPhase(n: number) {
    const latencies: number[] = [];
    let snapshots = 0;
    let errors = 0;
    const subs: { unsubscribe(): void }[] = [];
    const idleClients = (await redisClients(monitor)).connected;
    const idleRss = await rssMiB(serverPid);
    for (let i = 0; i < n; i += OPEN_BATCH) {
      for (let j = i; j < Math.min(n, i + OPEN_BATCH); j++) {
        const f = followed[j % followed.length] as Followed;
        subs.push(
          subscribe(url, f, {
            onData(data) {
              if (data.kind === 'snapshot') snapshots++;
              else if (data.kind === 'progress') {
                const at = sentAt.get(seqOf(data.message));
                if (at !== undefined) latencies.push(performance.now() - at);
              }
            },
            onError() {
              errors++;
            },
          }),
        );
      }
      const target = subs.length;
      await waitUntil(`${target} snapshots`, () => snapshots >= target);
    }
    // The snapshot follows hub.subscribe(), so every stream is live now; /metrics confirms it server-side.
    const attached = await sseSubscriptions();
    const attachedRss = await rssMiB(serverPid);
    const sampler = startSampler({ pid: serverPid, redis: monitor });
    await publishTicks();
    await waitUntil('hub deliveries', () => latencies.length >= n * TICKS, 15_000).catch(() => undefined);
    const peaks = await sampler.stop();
    for (const s of subs) s.unsubscribe();
    await waitUntil('server-side unsubscribe', async () => (await sseSubscriptions()) === 0, 15_000);
    return {
      latencyMs: summarize(latencies),
      delivered: latencies.length,
      expected: n * TICKS,
      errors,
      serverSubscriptions: attached,
      redisClientsIdle: idleClients,
      redisClientsPeak: peaks.redisConnectedPeak,
      redisClientsAdded: peaks.redisConnectedPeak - idleClients,
      serverRssIdleMiB: idleRss,
      serverRssAttachedMiB: attachedRss,
      serverRssPeakMiB: peaks.rssPeakMiB,
    };
  }

  async function rawPhase(n: number) {
    const latencies: number[] = [];
    let stopped = false;
    const before = await redisClients(monitor);
    const tip =
      ((await monitor.xrevrange(streamKey, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]?.[0] ?? '0-0';
    const conns: Redis[] = [];
    const loops: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const mine = (followed[i % followed.length] as Followed).analysisId;
      const r = new Redis(redisUrl, { maxRetriesPerRequest: null });
      conns.push(r);
      loops.push(
        (async () => {
          let last = tip;
          while (!stopped) {
            const res = (await r.xread('BLOCK', 0, 'STREAMS', streamKey, last).catch(() => null)) as
              | [string, [string, string[]][]][]
              | null;
            const now = performance.now();
            for (const [, entries] of res ?? []) {
              for (const [id, fields] of entries) {
                last = id;
                const f: Record<string, string> = {};
                for (let k = 0; k + 1 < fields.length; k += 2)
                  f[fields[k] as string] = fields[k + 1] as string;
                if (f.event !== PROGRESS_EVENT_NAME || f.analysisId !== mine || !f.payload) continue;
                const e = JSON.parse(f.payload) as ProgressEvent;
                const at = sentAt.get(seqOf(e.message));
                if (e.kind === 'progress' && at !== undefined) latencies.push(now - at);
              }
            }
          }
        })(),
      );
    }
    // Every reader is parked in XREAD before the first publish.
    await waitUntil(
      `${n} blocked readers`,
      async () => (await redisClients(monitor)).blocked >= before.blocked + n,
    );
    const sampler = startSampler({ pid: serverPid, redis: monitor });
    await publishTicks();
    await waitUntil('raw deliveries', () => latencies.length >= n * TICKS, 15_000).catch(() => undefined);
    const peaks = await sampler.stop();
    stopped = true;
    for (const r of conns) r.disconnect();
    await Promise.all(loops);
    await waitUntil(
      'raw connections closed',
      async () => (await redisClients(monitor)).connected <= before.connected,
    );
    return {
      latencyMs: summarize(latencies),
      delivered: latencies.length,
      expected: n * TICKS,
      redisClientsIdle: before.connected,
      redisClientsPeak: peaks.redisConnectedPeak,
      redisClientsAdded: peaks.redisConnectedPeak - before.connected,
    };
  }

  const rows = [];
  const results = [];
  for (const n of SUBSCRIBERS) {
    const hub = await hubPhase(n);
    const raw = await rawPhase(n);
    const r = {
      subscribers: n,
      hub,
      raw,
      ratio: {
        redisConnectionsRawOverHub: ratio(raw.redisClientsPeak, hub.redisClientsPeak),
        latencyP50HubOverRaw: ratio(hub.latencyMs.p50, raw.latencyMs.p50),
        latencyP99HubOverRaw: ratio(hub.latencyMs.p99, raw.latencyMs.p99),
      },
    };
    results.push(r);
    rows.push({
      N: n,
      'hub p50/p95/p99 ms': `${hub.latencyMs.p50}/${hub.latencyMs.p95}/${hub.latencyMs.p99}`,
      'raw p50/p95/p99 ms': `${raw.latencyMs.p50}/${raw.latencyMs.p95}/${raw.latencyMs.p99}`,
      'p50 x': r.ratio.latencyP50HubOverRaw,
      'p99 x': r.ratio.latencyP99HubOverRaw,
      'redis conns hub': hub.redisClientsPeak,
      'redis conns raw': raw.redisClientsPeak,
      'conns x': r.ratio.redisConnectionsRawOverHub,
      'server RSS idle/peak MiB': `${hub.serverRssIdleMiB}/${hub.serverRssPeakMiB}`,
      delivered: `${hub.delivered}/${hub.expected} | ${raw.delivered}/${raw.expected}`,
    });
    console.log(`N=${n} done (${Math.round((Date.now() - started) / 1000)} s)`);
  }

  printTable(
    `progress fan-out: ${ANALYSES} analyses, ${TICKS} events each ${TICK_MS} ms apart (hub = tRPC SSE via the server's one reader; raw = one XREAD connection per subscriber)`,
    rows,
  );
  const saved = await saveResult('progress-fanout', {
    config: {
      subscribers: SUBSCRIBERS.join(','),
      analyses: ANALYSES,
      ticks: TICKS,
      tickMs: TICK_MS,
      client: CLIENT,
    },
    at: new Date().toISOString(),
    machine: await machine(monitor),
    seconds: Math.round((Date.now() - started) / 1000),
    results,
  });
  console.log(`\nwrote ${saved.file} (median over ${saved.runs} run(s) of this configuration)`);

  await publisher.close();
  publisherConnection.disconnect();
  monitor.disconnect();
  await stack.stop();
  const lost = results.some((r) => r.hub.delivered < r.hub.expected || r.raw.delivered < r.raw.expected);
  if (lost) {
    console.error('some events were not delivered within 15 s of the last publish');
    process.exitCode = 1;
  }
}

main().catch(async (err) => {
  console.error(err);
  console.error(stack?.serverOutput().slice(-2000));
  await stack?.stop();
  process.exit(1);
});
