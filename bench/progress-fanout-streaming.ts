/**
 * Live progress with streaming on (issue 17): what partial events cost. Per analysis, the stage
 * events of a whole run, with and without the partial events a streaming worker publishes between
 * them (coalesced to `--rate` a second per analysis, PROGRESS_PARTIALS_PER_SECOND), at two paces:
 * a real model (`--step-s=30` per model step) and the demo (`--demo-step-s=4`). Each pace is run
 * twice in the same run, stages only and streaming, so the figures are ratios on one machine.
 *
 *   pnpm bench:fanout-streaming [--analyses=20] [--watchers=5] [--steps=5] [--step-s=30]
 *                               [--demo-step-s=4] [--rate=4] [--speed=5]
 *
 * Published with the worker's own publisher (createProgressPublisher) from this process; read by
 * `--watchers` SSE streams per analysis through the server's hub and its SSE route (a raw socket
 * each, counting the bytes the server sent). `--speed` compresses the real-model pace in time
 * (same events, `speed` times faster): the event counts and bytes do not depend on it; the CPU
 * figures are per watcher over the whole run. The demo pace runs in real time.
 */
import { request } from 'node:http';
import { type ProgressEvent, STAGES, type StageId, stageInfo } from '@revmemo/contracts';
import { createProgressPublisher, createRedisConnection, PROGRESS_EVENT_NAME } from '@revmemo/queue';
import { Redis } from 'ioredis';
import { signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT as CONTRACT } from '../test/support/contracts';
import { machine, printTable, ratio, saveResult } from './support/report';
import { cpuSeconds } from './support/sse-client';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const ANALYSES = arg('analyses', '20');
const WATCHERS = arg('watchers', '5');
const STEPS = arg('steps', '5');
const STEP_S = arg('step-s', '30');
const DEMO_STEP_S = arg('demo-step-s', '4');
const RATE = arg('rate', '4');
const SPEED = arg('speed', '5');

/** The model steps, in pipeline order (the five ASC 606 steps). */
const MODEL_STAGES = (['contract', 'obligations', 'price', 'allocation', 'recognition'] as const).slice(
  0,
  STEPS,
);
/** What the findings look like (the worker's words; their length is what matters here). */
const FINDINGS: Record<(typeof MODEL_STAGES)[number], (n: number) => string> = {
  contract: (n) => `${n} contract criteria assessed so far`,
  obligations: (n) => `${n} performance obligations identified so far`,
  price: (n) =>
    `transaction price: USD ${(1_000_000 + n * 10_000).toLocaleString('en-US')} fixed, variable part being assessed`,
  allocation: (n) => `standalone selling prices set for ${n} obligations so far`,
  recognition: (n) => `recognition pattern set for ${n} obligations so far`,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(what: string, check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const nextPercent = (stage: StageId) => {
  const i = STAGES.findIndex((s) => s.id === stage);
  return STAGES[i + 1]?.percent ?? 100;
};

interface Watcher {
  bytes: number;
  events: number;
  partials: number;
  snapshot: boolean;
  ended: boolean;
  close(): void;
}

/** analysis.progress over its own socket, counting every byte the server sends (frames, pings). */
function watch(url: string, cookie: string, analysisId: string): Watcher {
  const w: Watcher = { bytes: 0, events: 0, partials: 0, snapshot: false, ended: false, close: () => {} };
  const input = encodeURIComponent(JSON.stringify({ analysisId }));
  let buf = '';
  const req = request(
    `${url}/trpc/analysis.progress?input=${input}`,
    { agent: false, headers: { accept: 'text/event-stream', cookie } },
    (res) => {
      res.on('data', (chunk: Buffer) => {
        w.bytes += chunk.length;
        buf += chunk.toString('utf8');
        let end = buf.indexOf('\n\n');
        while (end >= 0) {
          const frame = buf.slice(0, end).replace(/^\n+/, '');
          buf = buf.slice(end + 2);
          end = buf.indexOf('\n\n');
          if (!frame.startsWith('data: ')) continue; // connected, ping, return
          const kind = /"kind":"(\w+)"/.exec(frame)?.[1];
          if (kind === 'snapshot') w.snapshot = true;
          else w.events += 1;
          if (kind === 'partial') w.partials += 1;
          if (kind === 'completed') w.ended = true;
        }
      });
      res.on('close', () => {
        w.ended = true;
      });
    },
  );
  req.on('error', () => undefined);
  req.end();
  w.close = () => req.destroy();
  return w;
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
  const users: { cookie: string; client: ReturnType<typeof trpcClient> }[] = [];
  for (let i = 0; i < ANALYSES; i++) {
    const user = await signUp(url, `stream${i}-${Date.now()}@example.com`);
    users.push({ cookie: user.cookie, client: trpcClient(url, user.cookie) });
  }

  /** One analysis per user, queued (no worker runs: this process is the only publisher). */
  async function submitAll(): Promise<string[]> {
    return Promise.all(
      users.map(async (u, i) => {
        const quote = await u.client.analysis.quote.mutate({ text: CONTRACT });
        const s = await u.client.analysis.submit.mutate({
          quoteId: quote.quoteId,
          idempotencyKey: `bench-stream-${i}-${Date.now()}-${Math.random()}`,
        });
        return s.analysisId;
      }),
    );
  }

  /** The real-model pace runs `--speed` times faster; the demo pace in real time. */
  const speedFor = (stepMs: number) => (stepMs === STEP_S * 1000 ? SPEED : 1);

  /** A whole run of one analysis as the worker publishes it; returns the shared-stream entries' bytes. */
  async function runAnalysis(analysisId: string, stepMs: number, streaming: boolean) {
    let events = 0;
    let partials = 0;
    let bytes = 0;
    const base = { analysisId, status: 'running' as const, errorMessage: null };
    const publish = async (e: ProgressEvent) => {
      const id = await publisher.publish(e);
      events += 1;
      if (e.kind === 'partial') partials += 1;
      // What every reader of the shared stream pulls per entry: its id and its fields.
      bytes += Buffer.byteLength(
        [id, 'event', PROGRESS_EVENT_NAME, 'analysisId', analysisId, 'payload', JSON.stringify(e)].join(''),
      );
    };
    const stageEvent = (stage: StageId) =>
      publish({
        ...base,
        kind: 'progress',
        stage,
        percent: stageInfo(stage).percent,
        message: stageInfo(stage).label,
        at: new Date().toISOString(),
      });
    await stageEvent('preparation');
    for (const stage of MODEL_STAGES) {
      await stageEvent(stage);
      const count = Math.round((stepMs / 1000) * RATE);
      const from = stageInfo(stage).percent;
      const to = nextPercent(stage);
      const t0 = Date.now();
      for (let k = 1; k <= count; k++) {
        const wait = t0 + (k * stepMs) / count / speedFor(stepMs) - Date.now();
        if (wait > 1) await sleep(wait);
        if (!streaming) continue;
        const share = k / count;
        const found = Math.floor(share * 4);
        await publish({
          ...base,
          kind: 'partial',
          stage,
          percent: Math.round((from + share * (to - from)) * 10) / 10,
          message: stageInfo(stage).label,
          at: new Date().toISOString(),
          partial: { share, finding: found > 0 ? FINDINGS[stage](found) : null },
        });
      }
    }
    await stageEvent('memo');
    await publish({
      ...base,
      status: 'completed',
      kind: 'completed',
      stage: 'done',
      percent: 100,
      message: 'Done',
      at: new Date().toISOString(),
    });
    return { events, partials, bytes };
  }

  async function runCase(name: string, stepMs: number, streaming: boolean) {
    const analyses = await submitAll();
    const watchers: Watcher[] = [];
    analyses.forEach((id, i) => {
      for (let k = 0; k < WATCHERS; k++) watchers.push(watch(url, users[i]?.cookie ?? '', id));
    });
    await waitUntil('snapshots', () => watchers.every((w) => w.snapshot), 30_000);
    const bytesBefore = watchers.reduce((a, w) => a + w.bytes, 0);
    const cpu0 = await cpuSeconds(serverPid);
    const t0 = Date.now();
    // The analyses start spread over one step, as they would in production.
    const runs = await Promise.all(
      analyses.map(async (id, i) => {
        await sleep(((i / analyses.length) * stepMs) / speedFor(stepMs));
        return runAnalysis(id, stepMs, streaming);
      }),
    );
    await waitUntil('terminal events', () => watchers.every((w) => w.ended), 30_000).catch(() => undefined);
    const cpuMs = ((await cpuSeconds(serverPid)) - cpu0) * 1000;
    const seconds = (Date.now() - t0) / 1000;
    for (const w of watchers) w.close();
    const published = runs.reduce((a, r) => a + r.events, 0);
    const delivered = watchers.reduce((a, w) => a + w.events, 0);
    const per = (x: number, n: number) => Math.round((x / n) * 100) / 100;
    const result = {
      case: name,
      streaming,
      stepS: stepMs / 1000,
      eventsPerAnalysis: per(published, analyses.length),
      partialsPerAnalysis: per(
        runs.reduce((a, r) => a + r.partials, 0),
        analyses.length,
      ),
      sharedStreamBytesPerAnalysis: Math.round(runs.reduce((a, r) => a + r.bytes, 0) / analyses.length),
      delivered,
      expected: published * WATCHERS,
      serverCpuMsPerWatcher: per(cpuMs, watchers.length),
      bytesPerWatcher: Math.round(
        (watchers.reduce((a, w) => a + w.bytes, 0) - bytesBefore) / watchers.length,
      ),
      wallSeconds: Math.round(seconds * 10) / 10,
    };
    console.log(`${name} done (${Math.round((Date.now() - started) / 1000)} s)`);
    return result;
  }

  const paces = [
    { pace: `real model (${STEPS} x ${STEP_S} s, ${SPEED}x faster)`, stepMs: STEP_S * 1000 },
    { pace: `demo (${STEPS} x ${DEMO_STEP_S} s)`, stepMs: DEMO_STEP_S * 1000 },
  ];
  const results = [];
  const rows = [];
  for (const { pace, stepMs } of paces) {
    const off = await runCase(`${pace}, stages only`, stepMs, false);
    const on = await runCase(`${pace}, streaming`, stepMs, true);
    const ratios = {
      eventsOnOverOff: ratio(on.eventsPerAnalysis, off.eventsPerAnalysis),
      sharedStreamBytesOnOverOff: ratio(on.sharedStreamBytesPerAnalysis, off.sharedStreamBytesPerAnalysis),
      cpuPerWatcherOnOverOff: ratio(on.serverCpuMsPerWatcher, off.serverCpuMsPerWatcher),
      bytesPerWatcherOnOverOff: ratio(on.bytesPerWatcher, off.bytesPerWatcher),
      // The server's extra CPU for one partial event delivered to one watcher.
      cpuMsPerPartialDelivery:
        Math.round(
          ((on.serverCpuMsPerWatcher - off.serverCpuMsPerWatcher) / Math.max(1, on.partialsPerAnalysis)) *
            1000,
        ) / 1000,
    };
    results.push({ pace, off, on, ratio: ratios });
    for (const r of [off, on])
      rows.push({
        case: r.case,
        'events/analysis': r.eventsPerAnalysis,
        'shared stream KB/analysis': Math.round(r.sharedStreamBytesPerAnalysis / 102.4) / 10,
        'server CPU ms/watcher': r.serverCpuMsPerWatcher,
        'KB/watcher': Math.round(r.bytesPerWatcher / 102.4) / 10,
        delivered: `${r.delivered}/${r.expected}`,
        'wall s': r.wallSeconds,
      });
    rows.push({
      case: '  streaming / stages only',
      'events/analysis': `${ratios.eventsOnOverOff}x`,
      'shared stream KB/analysis': `${ratios.sharedStreamBytesOnOverOff}x`,
      'server CPU ms/watcher': `${ratios.cpuPerWatcherOnOverOff}x`,
      'KB/watcher': `${ratios.bytesPerWatcherOnOverOff}x`,
      delivered: '',
      'wall s': '',
    });
  }

  printTable(
    `progress with streaming: ${ANALYSES} analyses x ${WATCHERS} watchers, partials at ${RATE}/s per analysis`,
    rows,
  );
  const saved = await saveResult('progress-fanout-streaming', {
    config: {
      analyses: ANALYSES,
      watchers: WATCHERS,
      steps: STEPS,
      stepS: STEP_S,
      demoStepS: DEMO_STEP_S,
      rate: RATE,
      speed: SPEED,
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
  if (results.some((r) => r.off.delivered < r.off.expected || r.on.delivered < r.on.expected)) {
    console.error('some events were not delivered within 30 s of the last publish');
    process.exitCode = 1;
  }
}

main().catch(async (err) => {
  console.error(err);
  console.error(stack?.serverOutput().slice(-2000));
  await stack?.stop();
  process.exit(1);
});
