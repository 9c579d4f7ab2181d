import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRevmemoTRPCClient } from '@revmemo/client/trpc';
import { isTerminalEvent, type ProgressEvent, stageIndex } from '@revmemo/contracts';
import { checkLedgerInvariants, createDb, migrate } from '@revmemo/db';
import { freePort } from '@revmemo/devstack';
import { startModelSimulator } from '@revmemo/model-simulator';
import { compareStreamIds, eventsStreamKey, PROGRESS_EVENT_NAME } from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { type AppProcess, spawnApp, stackEnv } from '../../test/support/processes';
import { startRestartablePostgres, startRestartableRedis } from './services';

/**
 * The chaos run: the product's real processes (2 web, 2 workers) against their own PostgreSQL and
 * redis-server, N analyses with one watcher each, while workers are SIGKILLed at random, one web
 * process is SIGKILLed, and Redis and PostgreSQL are restarted. It measures what a customer and an
 * operator would notice: failed analyses, a progress bar stepping back, missed or repeated progress,
 * wasted model calls, unstructured log lines, and whether the money is right.
 * Everything listens on 127.0.0.1 and the run stops by itself.
 */
export interface ChaosOptions {
  /** Analyses submitted in total. */
  analyses: number;
  /** Of those, how many carry a contract the model rejects (they must fail, uncharged). */
  meantToFail: number;
  /** Worker SIGKILLs happen every [min, max] ms while the chaos phase lasts. */
  killEveryMs: [number, number];
  /** Stop killing after this many worker kills (Infinity: until the chaos phase ends). */
  maxWorkerKills: number;
  /** How long the chaos phase lasts; the run then waits (bounded) for every analysis to end. */
  durationMs: number;
  /** Seconds each restarted dependency stays down. */
  downMs: number;
  /** Simulated model latency per call: long enough that kills land mid-analysis. */
  modelLatencyMs: number;
  /**
   * How long each answer streams after the latency (0: sent at once). Streaming answers make the
   * workers publish partial events, so kills and outages land mid-answer and mid-partial as well.
   */
  modelStreamMs: number;
  /** After the chaos phase, how long to wait for analyses to end before calling them stuck. */
  settleMs: number;
  log?: (line: string) => void;
}

export const DEFAULT_CHAOS: ChaosOptions = {
  analyses: 60,
  meantToFail: 6,
  killEveryMs: [2_000, 4_000],
  maxWorkerKills: Number.POSITIVE_INFINITY,
  durationMs: 180_000,
  downMs: 3_000,
  modelLatencyMs: 400,
  modelStreamMs: 1_000,
  settleMs: 180_000,
};

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  submitted: number;
  submitFailures: string[];
  completed: number;
  /** Analyses not meant to fail that failed (or were canceled), with their messages. */
  ordinaryFailures: { analysisId: string; message: string | null }[];
  /** Meant to fail but completed (the rejection did not bite): a broken run, not a product failure. */
  meantToFailButCompleted: number;
  lost: number;
  stuck: number;
  watchers: {
    total: number;
    /** Watchers that saw the percent or the stage decrease at least once. */
    withRegression: number;
    regressions: number;
    examples: string[];
    /** Progress entries of the analysis the watcher should have seen but never got. */
    gaps: number;
    /** Events received twice, or older than one already received. */
    replays: number;
    /** Watchers that never received the terminal event. */
    unfinished: number;
    /** Times a watcher resumed on the other web process after being cut off. */
    switches: number;
    /** Partial events (progress within a step) the watchers received, and the workers published. */
    partialsReceived: number;
    partialsPublished: number;
  };
  modelCalls: {
    total: number;
    perCompleted: { mean: number; max: number };
    /** Calls the proxy could not attribute to an analysis. */
    unattributed: number;
  };
  chaos: {
    /** The schedule itself went wrong (a process did not come back): the figures are incomplete. */
    errors: string[];
    workerKills: number;
    webKills: number;
    redisRestarts: number;
    postgresRestarts: number;
  };
  logs: {
    /** Lines that are not pino JSON, printed by any process while Redis was down and just after. */
    unstructuredDuringRedisRestart: number;
    unstructuredTotal: number;
    /** Per process alive through the Redis restart: its "unreachable" and "back" lines. */
    redisOutageLines: { process: string; unreachable: number; back: number }[];
    samples: string[];
  };
  money: {
    ledgerViolations: number;
    doubleCharges: number;
    wrongCharges: number;
    openHolds: number;
  };
  elapsedMs: number;
}

const DOUBLE_CHARGE_QUERY =
  "SELECT memo_uuid, COUNT(*) FROM credit_transactions WHERE reason = 'analysis_charge' GROUP BY memo_uuid HAVING COUNT(*) > 1;";

/** Kills every child this module started; for a hard stop (Ctrl-C, the CLI's time limit). */
const hardKills = new Set<() => void>();
export function killEverything() {
  for (const k of hardKills) k();
  hardKills.clear();
}

/**
 * The tests' spawning code (spawnApp), with a startup timeout that suits a loaded machine, and a
 * child that is killed when it does not come up in time rather than left behind.
 */
export async function boot(
  kind: 'server' | 'worker',
  env: Record<string, string>,
  port?: string,
): Promise<AppProcess & { url: string }> {
  const p = port ?? String(await freePort());
  const url = `http://127.0.0.1:${p}`;
  const proc =
    kind === 'server'
      ? spawnApp('apps/server/src/main.ts', { WEBSITE_URL: url, ...env, PORT: p })
      : spawnApp('apps/worker/src/main.ts', env);
  const kill = () => proc.kill('SIGKILL');
  hardKills.add(kill);
  void proc.exited.then(() => hardKills.delete(kill));
  try {
    await proc.waitFor(kind === 'server' ? /listening on/ : /Worker started/, 240_000);
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return Object.assign(proc, { url });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

const REJECT_MARKER = 'CHAOS-REJECT-THIS-CONTRACT';

function contract(runId: string, i: number, reject: boolean): string {
  return `MASTER SUBSCRIPTION AGREEMENT (reference CHAOS-${runId}-${i})

This Master Subscription Agreement is entered into on January 15, 2026 between Northwind Software Inc. ("Provider") and Contoso Manufacturing LLC ("Customer").
${reject ? `\n${REJECT_MARKER}: the model refuses this document.\n` : ''}
1. Subscription. Provider grants Customer access to the Northwind Analytics platform for 250 named users for a term of thirty-six (36) months beginning February 1, 2026.

2. Fees. Customer will pay an annual subscription fee of $120,000, invoiced annually in advance, and a one-time implementation fee of $30,000 invoiced on signature. Payment terms are net 30 days.

3. Governing Law. This Agreement is governed by the laws of the State of Delaware.
`;
}

/**
 * A pass-through in front of the simulated model that (a) answers 400 to any request carrying the
 * reject marker, as a provider rejecting a document would (the simulator's failure injection is
 * global, not per contract), and (b) counts calls per analysis by the contract's reference.
 */
async function startModelProxy(upstream: string) {
  const perRef = new Map<string, number>();
  let unattributed = 0;
  let total = 0;
  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const server: Server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const text = body.toString('utf8');
      if (req.method === 'POST' && /chat\/completions/.test(req.url ?? '')) {
        total++;
        const ref = /CHAOS-([0-9a-f]+-\d+)/.exec(text)?.[1];
        if (ref) perRef.set(ref, (perRef.get(ref) ?? 0) + 1);
        else unattributed++;
        if (text.includes(REJECT_MARKER)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: {
                message: 'This document cannot be processed (chaos run rejection).',
                type: 'invalid_request_error',
                code: null,
              },
            }),
          );
          return;
        }
      }
      // Passed on as it arrives (a streamed answer stays streamed), and hung up upstream when the
      // worker hangs up (a SIGKILLed worker): the simulator sees what a provider would.
      const hangUp = new AbortController();
      res.on('close', () => hangUp.abort());
      const upstreamRes = await fetch(`${upstream}${req.url ?? ''}`, {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
        signal: hangUp.signal,
      });
      res.writeHead(upstreamRes.status, {
        'content-type': upstreamRes.headers.get('content-type') ?? 'application/json',
      });
      if (upstreamRes.body) for await (const chunk of upstreamRes.body) res.write(chunk);
      res.end();
    } catch {
      // Cut mid-answer: cut the worker's connection too, as a provider's dropped stream would.
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    callsFor: (ref: string) => perRef.get(ref) ?? 0,
    stats: () => ({ total, unattributed }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Received {
  id: string;
  event: ProgressEvent;
}

type Client = ReturnType<typeof createRevmemoTRPCClient>;

/**
 * One watcher per analysis, as a browser tab would be: a tRPC subscription over SSE that, when cut
 * off (its web process died, the stream errored or ended early), resumes on the other web process
 * with the last event id it received.
 */
class Watcher {
  received: Received[] = [];
  regressions = 0;
  replays = 0;
  switches = 0;
  examples: string[] = [];
  finished = false;
  private maxPercent = -1;
  private maxStage = -1;
  private lastId: string | undefined;
  private server = 0;
  private unsubscribe: (() => void) | undefined;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((r) => {
    this.resolveDone = r;
  });
  private stopped = false;

  constructor(
    readonly analysisId: string,
    private readonly clients: Client[],
    first: number,
  ) {
    this.server = first;
    this.subscribe();
  }

  private subscribe() {
    if (this.stopped || this.finished) return;
    const client = this.clients[this.server] as Client;
    let switched = false;
    const cutOff = (delayMs: number) => {
      if (switched) return;
      switched = true;
      sub.unsubscribe();
      if (this.finished || this.stopped) return;
      this.server = (this.server + 1) % this.clients.length;
      this.switches++;
      setTimeout(() => this.subscribe(), delayMs);
    };
    const sub = client.analysis.progress.subscribe(
      { analysisId: this.analysisId, ...(this.lastId ? { lastEventId: this.lastId } : {}) },
      {
        onData: (tracked) => this.onEvent(tracked.id, tracked.data),
        onConnectionStateChange: (s) => {
          // The EventSource lost its connection: resume on the other web process, as a load
          // balancer would route the browser's reconnect.
          if (s.state === 'connecting' && s.error) cutOff(100);
        },
        onError: () => cutOff(500),
        onComplete: () => {
          if (!this.finished) cutOff(200);
        },
      },
    );
    this.unsubscribe = () => sub.unsubscribe();
  }

  private onEvent(id: string, event: ProgressEvent) {
    // A resume continues after the id it gave, and ids strictly increase within a subscription
    // (docs/progress-transport.md). Only a resume point lost from Redis restarts at a snapshot with
    // a lower id, and this run's Redis is append-only: here, any id not after the last is a replay.
    if (this.lastId && compareStreamIds(id, this.lastId) <= 0) {
      this.replays++;
      return;
    }
    this.received.push({ id, event });
    this.lastId = id;
    if (event.kind !== 'failed' && event.kind !== 'canceled') {
      const stage = stageIndex(event.stage);
      if (event.percent < this.maxPercent || stage < this.maxStage) {
        this.regressions++;
        if (this.examples.length < 3)
          this.examples.push(
            `${this.analysisId.slice(0, 8)}: ${this.maxPercent}% -> ${event.percent}% (${event.stage})`,
          );
      }
      this.maxPercent = Math.max(this.maxPercent, event.percent);
      this.maxStage = Math.max(this.maxStage, stage);
    }
    if (isTerminalEvent(event)) {
      this.finished = true;
      this.unsubscribe?.();
      this.resolveDone();
    }
  }

  stop() {
    this.stopped = true;
    this.unsubscribe?.();
    this.resolveDone();
  }
}

/** Retries a call (quote, submit, sign-up) across web processes while the chaos lasts. */
async function persist<T>(what: string, attempt: (i: number) => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    try {
      return await attempt(i);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(err)}`);
      await sleep(Math.min(250 * 2 ** i, 2_000));
    }
  }
}

/**
 * Signs up and, as a customer would, follows the emailed verification link (the web processes run
 * without MAIL_URL, so they log it), which is what grants the welcome credits.
 */
async function signUp(baseUrl: string, email: string, webLogs: () => string[]): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password: 'correct horse battery staple', name: email.split('@')[0] }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const deadline = Date.now() + 30_000;
  let link = verificationLink(webLogs(), email);
  while (!link && Date.now() < deadline) {
    await sleep(100);
    link = verificationLink(webLogs(), email);
  }
  if (!link) throw new Error(`no verification link for ${email} in the web processes' logs`);
  const verified = await fetch(link, { redirect: 'manual', headers: { cookie } });
  if (verified.status !== 302 || (verified.headers.get('location') ?? '').includes('error='))
    throw new Error(`verification failed: ${verified.status} ${verified.headers.get('location')}`);
  return cookie;
}

function verificationLink(logs: string[], email: string): string | undefined {
  for (const line of logs.flatMap((l) => l.split('\n'))) {
    if (!line.includes('"component":"mail"') || !line.includes(email)) continue;
    try {
      const entry = JSON.parse(line) as { to?: string; subject?: string; link?: string };
      if (entry.to === email && /verify/i.test(entry.subject ?? '') && entry.link) return entry.link;
    } catch {
      // not one of our log lines
    }
  }
  return undefined;
}

const isPinoLine = (line: string) => {
  if (!line.startsWith('{')) return false;
  try {
    const o = JSON.parse(line) as { level?: unknown };
    return typeof o === 'object' && o !== null && typeof o.level === 'number';
  } catch {
    return false;
  }
};

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const runId = randomBytes(3).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'revmemo-chaos-'));
  // Our own folder: open it to the `postgres` user (as root), so PostgreSQL keeps its data here and
  // the restart finds it (devstack would otherwise move the data to a place outside this folder).
  await chmod(dir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  const processes: { name: string; proc: AppProcess }[] = [];
  const watchers: Watcher[] = [];
  try {
    log('starting PostgreSQL and redis-server (append-only) of its own');
    const pg = await startRestartablePostgres(join(dir, 'postgres'), 'revmemo_chaos');
    cleanups.push(() => pg.stop());
    hardKills.add(() => void pg.stop());
    const redis = await startRestartableRedis(dir);
    cleanups.push(() => redis.stop());
    hardKills.add(() => void redis.stop());
    await migrate(pg.url);
    const sim = await startModelSimulator({
      latencyMs: opts.modelLatencyMs,
      streamMs: opts.modelStreamMs,
      streamChunks: 0,
    });
    cleanups.push(() => sim.close());
    const proxy = await startModelProxy(sim.url.replace(/\/v1\/?$/, ''));
    cleanups.push(() => proxy.close());

    const env = stackEnv({
      databaseUrl: pg.url,
      redisUrl: redis.url,
      modelUrl: `${proxy.url}/v1`,
      prefix: `chaos-${runId}`,
      extra: {
        HOST: '127.0.0.1',
        // Every analysis must be payable however many a user submits.
        SIGNUP_CREDITS: '1000',
        // Generous retries: an analysis may be interrupted many times; only poison should fail it.
        JOB_ATTEMPTS: '8',
      },
    });
    const track = (name: string, proc: AppProcess) => {
      processes.push({ name, proc });
      cleanups.push(() => proc.stop(5_000));
      return proc;
    };

    log('starting 2 web processes and 2 workers');
    const servers: (AppProcess & { url: string })[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await boot('server', env);
      track(`web-${i}`, s);
      servers.push(s);
    }
    const ports = servers.map((s) => new URL(s.url).port);
    const urls = servers.map((s) => s.url);
    const workers: (AppProcess | undefined)[] = [];
    let workerSeq = 0;
    for (let i = 0; i < 2; i++) workers.push(track(`worker-${workerSeq++}`, await boot('worker', env)));

    // Users: a few analyses each, like customers with several contracts.
    const perUser = 4;
    const users: { cookie: string; clients: Client[] }[] = [];
    for (let u = 0; u < Math.ceil(opts.analyses / perUser); u++) {
      const email = `chaos-${runId}-${u}@example.com`;
      const cookie = await persist('sign-up', (i) =>
        signUp(urls[(u + i) % 2] as string, email, () => servers.map((s) => s.output())),
      );
      users.push({ cookie, clients: urls.map((url) => createRevmemoTRPCClient({ baseUrl: url, cookie })) });
    }

    const failing = new Set<number>();
    while (failing.size < Math.min(opts.meantToFail, opts.analyses))
      failing.add(Math.floor(Math.random() * opts.analyses));

    // ---- the chaos schedule, running while the analyses are processed ----
    const chaos = { workerKills: 0, webKills: 0, redisRestarts: 0, postgresRestarts: 0 };
    const chaosStart = Date.now();
    const chaosEnd = chaosStart + opts.durationMs;
    let redisWindow: { from: Map<AppProcess, number>; to?: Map<AppProcess, number> } | undefined;
    // Output offsets of the processes running at this moment (killed ones are left out).
    const offsets = () =>
      new Map(
        processes
          .filter(({ proc }) => proc.child.exitCode === null && proc.child.signalCode === null)
          .map(({ proc }) => [proc, proc.output().length]),
      );

    const chaosErrors: string[] = [];
    const killWorkers = (async () => {
      // A finite kill count is reached even when restarts are slow (bounded by three chaos phases).
      const killUntil = Number.isFinite(opts.maxWorkerKills) ? chaosStart + 3 * opts.durationMs : chaosEnd;
      while (Date.now() < killUntil && chaos.workerKills < opts.maxWorkerKills) {
        await sleep(between(opts.killEveryMs[0], opts.killEveryMs[1]));
        if (Date.now() >= killUntil) break;
        const alive = workers.map((w, i) => ({ w, i })).filter((x) => x.w);
        if (alive.length === 0) continue;
        const pick = alive[Math.floor(Math.random() * alive.length)] as { w: AppProcess; i: number };
        pick.w.kill('SIGKILL');
        chaos.workerKills++;
        workers[pick.i] = undefined;
        log(`SIGKILL worker (kill ${chaos.workerKills})`);
        // The replacement boots in the background, as a platform restarts a preempted machine.
        void boot('worker', env).then(
          (w) => {
            workers[pick.i] = track(`worker-${workerSeq++}`, w);
          },
          (err: unknown) => log(`worker restart failed: ${String(err)}`),
        );
      }
    })().catch((err: unknown) => {
      chaosErrors.push(`worker kills: ${String(err)}`);
    });

    const at = async (fraction: number) => {
      const when = chaosStart + fraction * opts.durationMs;
      await sleep(Math.max(0, when - Date.now()));
    };
    const scheduled = (async () => {
      await at(0.25);
      log('SIGKILL web-0, restarting it on the same port');
      servers[0]?.kill('SIGKILL');
      chaos.webKills++;
      await servers[0]?.exited;
      const again = await boot('server', env, ports[0]);
      track('web-0b', again);
      servers[0] = again;

      await at(0.45);
      log(`restarting Redis (${opts.downMs} ms down)`);
      redisWindow = { from: offsets() };
      await redis.restart(opts.downMs);
      chaos.redisRestarts++;
      // The "back" line waits for the reconnect to hold for a second; give every process time to log.
      await sleep(5_000);
      redisWindow.to = offsets();
      log('Redis is back');

      await at(0.7);
      log(`restarting PostgreSQL (${opts.downMs} ms down)`);
      await pg.restart(opts.downMs);
      chaos.postgresRestarts++;
      log('PostgreSQL is back');
    })().catch((err: unknown) => {
      chaosErrors.push(`schedule: ${String(err).slice(0, 500)}`);
      log(`chaos schedule failed: ${String(err).slice(0, 500)}`);
    });

    // ---- submit, one watcher each ----
    const submitted: { analysisId: string; ref: string; failing: boolean; quoted: number }[] = [];
    const submitFailures: string[] = [];
    const submitSpreadMs = Math.min(opts.durationMs * 0.5, opts.analyses * 500);
    await Promise.all(
      Array.from({ length: opts.analyses }, async (_, i) => {
        await sleep((i / opts.analyses) * submitSpreadMs);
        const user = users[Math.floor(i / perUser)] as (typeof users)[number];
        const reject = failing.has(i);
        const key = `chaos-${runId}-${i}`;
        try {
          const quote = await persist('quote', (k) =>
            (user.clients[(i + k) % 2] as Client).analysis.quote.mutate({ text: contract(runId, i, reject) }),
          );
          const s = await persist('submit', (k) =>
            (user.clients[(i + k) % 2] as Client).analysis.submit.mutate({
              quoteId: quote.quoteId,
              idempotencyKey: key,
            }),
          );
          submitted.push({
            analysisId: s.analysisId,
            ref: `${runId}-${i}`,
            failing: reject,
            quoted: quote.credits,
          });
          watchers.push(new Watcher(s.analysisId, user.clients, i % 2));
        } catch (err) {
          submitFailures.push(`#${i}: ${String(err)}`);
        }
      }),
    );
    log(`${submitted.length} analyses submitted (${submitFailures.length} could not be)`);

    await killWorkers;
    await scheduled;
    log(
      `chaos over: ${chaos.workerKills} worker kills, ${chaos.webKills} web kill, Redis and PostgreSQL restarted; waiting for the analyses`,
    );

    // ---- settle: every analysis should end by itself ----
    const db = createDb(pg.url, { max: 3 });
    cleanups.push(() => db.close());
    const ids = submitted.map((s) => s.analysisId);
    const settleBy = Date.now() + opts.settleMs;
    const statuses = async () => {
      const rows = ids.length
        ? await db.db.execute(
            sql`SELECT analysis_id::text AS id, status, error_message, final_charged_credits, memo_uuid::text AS memo FROM analyses WHERE analysis_id = ANY(${sql.raw(`ARRAY[${ids.map((id) => `'${id}'::uuid`).join(',')}]`)})`,
          )
        : [];
      return new Map(
        rows.map((r) => [
          String(r.id),
          r as {
            status: string;
            error_message: string | null;
            final_charged_credits: number | null;
            memo: string;
          },
        ]),
      );
    };
    const terminal = (s: string) => s === 'completed' || s === 'failed' || s === 'canceled';
    let rows = await statuses();
    while (Date.now() < settleBy && ![...rows.values()].every((r) => terminal(r.status))) {
      await sleep(1_000);
      rows = await statuses();
    }
    // Watchers get a few seconds past the end to receive their terminal event.
    await Promise.race([Promise.all(watchers.map((w) => w.done)), sleep(15_000)]);
    for (const w of watchers) w.stop();

    // ---- figures ----
    const byId = new Map(submitted.map((s) => [s.analysisId, s]));
    let completed = 0;
    let meantToFailButCompleted = 0;
    const ordinaryFailures: ChaosReport['ordinaryFailures'] = [];
    const callsPerCompleted: number[] = [];
    for (const s of submitted) {
      const row = rows.get(s.analysisId);
      if (!row) continue;
      if (row.status === 'completed') {
        completed++;
        if (s.failing) meantToFailButCompleted++;
        else callsPerCompleted.push(proxy.callsFor(s.ref));
      } else if (terminal(row.status) && !s.failing) {
        ordinaryFailures.push({ analysisId: s.analysisId, message: row.error_message });
      }
    }
    const lost = submitted.filter((s) => !rows.has(s.analysisId)).length;
    const stuck = [...rows.values()].filter((r) => !terminal(r.status)).length;

    // Gaps: progress entries of the analysis, after the watcher's first event, that it never got
    // and that would have moved its bar (a stale entry below what it already showed is no gap).
    // Partial events are safe to miss (a resume sends only the latest): never a gap.
    const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    redisClient.on('error', () => undefined);
    const entries = (await redisClient.xrange(eventsStreamKey(env.QUEUE_PREFIX as string), '-', '+')) as [
      string,
      string[],
    ][];
    await redisClient.quit();
    const streamByAnalysis = new Map<string, { id: string; percent: number }[]>();
    let partialEvents = 0;
    for (const [id, raw] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < raw.length; i += 2) f[raw[i] as string] = raw[i + 1] as string;
      if (f.event !== PROGRESS_EVENT_NAME || !f.analysisId || !byId.has(f.analysisId)) continue;
      let percent = 0;
      try {
        const payload = JSON.parse(f.payload ?? '{}') as { percent?: number; kind?: string };
        if (payload.kind === 'partial') {
          partialEvents++;
          continue;
        }
        percent = Number(payload.percent ?? 0);
      } catch {}
      const list = streamByAnalysis.get(f.analysisId) ?? [];
      list.push({ id, percent });
      streamByAnalysis.set(f.analysisId, list);
    }
    let gaps = 0;
    for (const w of watchers) {
      const first = w.received[0];
      const last = w.received.at(-1);
      if (!first || !last) continue;
      const got = new Set(w.received.map((r) => r.id));
      for (const e of streamByAnalysis.get(w.analysisId) ?? []) {
        if (compareStreamIds(e.id, first.id) <= 0 || compareStreamIds(e.id, last.id) > 0) continue;
        if (got.has(e.id)) continue;
        const shown = Math.max(
          -1,
          ...w.received.filter((r) => compareStreamIds(r.id, e.id) < 0).map((r) => r.event.percent),
        );
        if (e.percent > shown) gaps++;
      }
    }

    // Logs: every line a process printed that is not a pino JSON line.
    const unstructured = (text: string) =>
      text.split('\n').filter((l) => l.trim() !== '' && !isPinoLine(l.trim()));
    let unstructuredTotal = 0;
    const samples: string[] = [];
    for (const { proc } of processes) {
      const lines = unstructured(proc.output());
      unstructuredTotal += lines.length;
      for (const l of lines) if (samples.length < 5) samples.push(l.slice(0, 200));
    }
    let unstructuredDuringRedisRestart = 0;
    const redisOutageLines: ChaosReport['logs']['redisOutageLines'] = [];
    if (redisWindow?.to) {
      for (const { name, proc } of processes) {
        const from = redisWindow.from.get(proc) ?? 0;
        const to = redisWindow.to.get(proc) ?? proc.output().length;
        const text = proc.output().slice(from, to);
        unstructuredDuringRedisRestart += unstructured(text).length;
        if (redisWindow.from.has(proc) && redisWindow.to.has(proc))
          redisOutageLines.push({
            process: name,
            unreachable: (text.match(/"redis_state":"unreachable"/g) ?? []).length,
            back: (text.match(/"redis_state":"reachable"/g) ?? []).length,
          });
      }
    }

    // Money.
    const violations = await checkLedgerInvariants(db.db);
    const doubles = await db.db.execute(sql.raw(DOUBLE_CHARGE_QUERY));
    const open = await db.db.execute(sql`SELECT count(*)::int AS n FROM credit_holds WHERE status = 'open'`);
    let wrongCharges = 0;
    for (const s of submitted) {
      const row = rows.get(s.analysisId);
      if (!row) continue;
      const charges = await db.db.execute(
        sql`SELECT amount FROM credit_transactions WHERE memo_uuid = ${row.memo}::uuid AND reason = 'analysis_charge'`,
      );
      const charged = charges.reduce((sum, c) => sum - Number(c.amount), 0);
      const expected = row.status === 'completed' ? s.quoted : 0;
      if (
        terminal(row.status) &&
        (charged !== expected || Number(row.final_charged_credits ?? 0) !== expected)
      )
        wrongCharges++;
    }

    const stats = proxy.stats();
    const mean = callsPerCompleted.length
      ? Math.round((callsPerCompleted.reduce((a, b) => a + b, 0) / callsPerCompleted.length) * 100) / 100
      : 0;
    const { log: _log, ...options } = opts;
    return {
      options,
      submitted: submitted.length,
      submitFailures,
      completed,
      ordinaryFailures,
      meantToFailButCompleted,
      lost,
      stuck,
      watchers: {
        total: watchers.length,
        withRegression: watchers.filter((w) => w.regressions > 0).length,
        regressions: watchers.reduce((a, w) => a + w.regressions, 0),
        examples: watchers.flatMap((w) => w.examples).slice(0, 5),
        gaps,
        replays: watchers.reduce((a, w) => a + w.replays, 0),
        unfinished: watchers.filter((w) => !w.finished).length,
        switches: watchers.reduce((a, w) => a + w.switches, 0),
        partialsReceived: watchers.reduce(
          (a, w) => a + w.received.filter((r) => r.event.kind === 'partial').length,
          0,
        ),
        partialsPublished: partialEvents,
      },
      modelCalls: {
        total: stats.total,
        perCompleted: { mean, max: Math.max(0, ...callsPerCompleted) },
        unattributed: stats.unattributed,
      },
      chaos: { ...chaos, errors: chaosErrors },
      logs: { unstructuredDuringRedisRestart, unstructuredTotal, redisOutageLines, samples },
      money: {
        ledgerViolations: violations.length,
        doubleCharges: doubles.length,
        wrongCharges,
        openHolds: Number(open[0]?.n ?? 0),
      },
      elapsedMs: Date.now() - started,
    };
  } finally {
    for (const w of watchers) w.stop();
    await cleanup();
    hardKills.clear();
  }
}

/** The figures as an operator reads them. */
export function formatChaosReport(r: ChaosReport): string {
  const o = r.options;
  return [
    `chaos run: ${r.submitted} analyses (${o.meantToFail} meant to fail), ${r.chaos.workerKills} worker SIGKILLs, ` +
      `${r.chaos.webKills} web SIGKILL, ${r.chaos.redisRestarts} Redis and ${r.chaos.postgresRestarts} PostgreSQL restart(s) ` +
      `(${o.downMs} ms down), model latency ${o.modelLatencyMs} ms + ${o.modelStreamMs} ms streaming, ${Math.round(r.elapsedMs / 1000)} s`,
    `  ordinary analyses failed          ${r.ordinaryFailures.length} of ${r.submitted - o.meantToFail}` +
      (r.ordinaryFailures.length
        ? ` (${[...new Set(r.ordinaryFailures.map((f) => f.message))].join(' | ')})`
        : ''),
    `  completed                         ${r.completed}` +
      (r.meantToFailButCompleted ? ` (${r.meantToFailButCompleted} meant to fail completed!)` : ''),
    `  submit failures                   ${r.submitFailures.length}`,
    `  watchers that saw the bar step back ${r.watchers.withRegression} of ${r.watchers.total}, ${r.watchers.regressions} times` +
      (r.watchers.examples.length ? ` (e.g. ${r.watchers.examples.join('; ')})` : ''),
    `  watcher gaps / replays            ${r.watchers.gaps} / ${r.watchers.replays}` +
      `  (unfinished watchers ${r.watchers.unfinished}, resumed on the other web process ${r.watchers.switches} times)`,
    `  partial events                    ${r.watchers.partialsReceived} received of ${r.watchers.partialsPublished} published (a resume gets only the latest)`,
    `  model calls per completed analysis mean ${r.modelCalls.perCompleted.mean} / max ${r.modelCalls.perCompleted.max}` +
      `  (total ${r.modelCalls.total}, unattributed ${r.modelCalls.unattributed})`,
    `  unstructured log lines            ${r.logs.unstructuredDuringRedisRestart} during the Redis restart, ${r.logs.unstructuredTotal} in the whole run`,
    `  Redis outage lines per process    ${r.logs.redisOutageLines.map((l) => `${l.process} ${l.unreachable}/${l.back}`).join(', ') || 'n/a'} (unreachable/back)`,
    `  money: ledger violations ${r.money.ledgerViolations}, double charges ${r.money.doubleCharges}, wrong charges ${r.money.wrongCharges}, open holds ${r.money.openHolds}`,
    `  analyses lost ${r.lost}, stuck ${r.stuck}`,
    ...(r.chaos.errors.length ? [`  CHAOS SCHEDULE ERRORS: ${r.chaos.errors.join(' | ')}`] : []),
    ...(r.logs.samples.length
      ? ['  sample unstructured lines:', ...r.logs.samples.map((s) => `    ${s}`)]
      : []),
  ].join('\n');
}
