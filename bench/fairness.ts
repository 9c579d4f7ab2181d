/**
 * Capacity and fairness (docs/capacity.md) with a slow model: one user submits a burst of analyses
 * through analysis.submit (tRPC over HTTP, so through the per-user gate), a moment later another user
 * submits one. One worker process runs them against the simulated model behind a counting proxy.
 *
 *   pnpm bench:fairness [--burst=300] [--latency-ms=1000] [--rpm=1200] [--cap=30] [--concurrency=60]
 *
 * Measured: how long the second user's analysis waited to start, against one step's duration (the
 * model latency: the raw cost of a step, measured in the same run from analysis_steps); the burst's
 * wall time against the ideal for the configured budget (model requests / requests per minute, or
 * the per-user cap's bound when that is lower); the most requests the model saw in any sliding
 * window of the budget (must not exceed it); the worker's RSS idle and at peak, per analysis in
 * flight. Afterwards the ledger invariants must hold and every analysis must be completed.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkLedgerInvariants, createDb, quotes } from '@revmemo/db';
import { createRedisConnection } from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT as CONTRACT } from '../test/support/contracts';
import { spawnApp } from '../test/support/processes';
import { machine, printTable, ratio, rssMiB, saveResult } from './support/report';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const BURST = arg('burst', '300');
const LATENCY_MS = arg('latency-ms', '1000');
const RPM = arg('rpm', '1200');
const CAP = arg('cap', '30');
const CONCURRENCY = arg('concurrency', '60');
const DEADLINE_MS = arg('deadline-s', '300') * 1000;
const WINDOW_MS = 60_000;
const STEPS = 5;
const CREDITS = 10;

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
  DEADLINE_MS,
);

/** Forwards to the simulated model and notes when each completion request arrived (the provider's view). */
async function countingProxy(target: string) {
  const to = new URL(target);
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    if (req.url?.includes('/chat/completions')) arrivals.push(Date.now());
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    arrivals,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function main() {
  const started = Date.now();
  stack = await startBenchStack({
    extraEnv: {
      SIGNUP_CREDITS: String((BURST + 5) * CREDITS),
      MAX_RUNNING_PER_USER: String(CAP),
      WORKER_CONCURRENCY: String(CONCURRENCY),
      MODEL_REQUESTS_PER_MINUTE: String(RPM),
      MODEL_TOKENS_PER_MINUTE: '0',
    },
  });
  const modelBase = stack.modelUrl.replace(/\/v1\/?$/, '');
  await fetch(`${modelBase}/__sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs: LATENCY_MS }),
  });
  const proxy = await countingProxy(modelBase);
  const database = createDb(stack.databaseUrl, { max: 5 });
  const { db } = database;
  const redis = createRedisConnection(stack.redisUrl);

  const worker = spawnApp('apps/worker/src/main.ts', { ...stack.env, OPENAI_BASE_URL: proxy.url });
  stopWorker = () => worker.stop().then(() => undefined);
  await worker.waitFor(/Worker started/, 120_000);
  const workerPid = worker.child.pid ?? 0;

  // Users and quotes first (quoting is not what is measured): the rows analysis.quote stores.
  const runTag = Date.now().toString(36);
  const burstUser = await signUp(stack.url, `burst-${runTag}@example.com`);
  const lateUser = await signUp(stack.url, `late-${runTag}@example.com`);
  const quotesFor = async (email: string, n: number) => {
    const [row] = await db.execute<{ id: string }>(sql`SELECT id FROM "user" WHERE email = ${email}`);
    if (!row) throw new Error(`no user ${email}`);
    const made = await db
      .insert(quotes)
      .values(
        Array.from({ length: n }, () => ({
          userId: row.id,
          textHash: runTag,
          wordCount: 400,
          credits: CREDITS,
          fileNames: ['contract.txt'],
          documentText: CONTRACT,
          expiresAt: new Date(Date.now() + 60 * 60_000),
        })),
      )
      .returning({ quoteId: quotes.quoteId });
    return made.map((q) => q.quoteId);
  };
  const burstQuotes = await quotesFor(burstUser.email, BURST);
  const [lateQuote] = await quotesFor(lateUser.email, 1);

  // Settle, then the worker's idle RSS.
  await new Promise((r) => setTimeout(r, 2_000));
  const rssIdle = await rssMiB(workerPid);
  let rssPeak = rssIdle;
  let inFlightPeak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      rssPeak = Math.max(rssPeak, await rssMiB(workerPid));
      const [r] = await db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM analyses WHERE status = 'running'`,
      );
      inFlightPeak = Math.max(inFlightPeak, r?.n ?? 0);
      await new Promise((res) => setTimeout(res, 500));
    }
  })();

  // The burst: 8 requests at a time through the real submit path (HTTP, session, gate).
  const burstClient = trpcClient(stack.url, burstUser.cookie);
  const burstStart = Date.now();
  const pending = [...burstQuotes];
  let seq = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let q = pending.shift(); q; q = pending.shift())
        await burstClient.analysis.submit.mutate({ quoteId: q, idempotencyKey: `burst-${runTag}-${++seq}` });
    }),
  );
  const burstSubmitted = Date.now();
  // "A moment later": the other customer.
  await new Promise((r) => setTimeout(r, 1_000));
  const late = await trpcClient(stack.url, lateUser.cookie).analysis.submit.mutate({
    quoteId: lateQuote as string,
    idempotencyKey: `late-${runTag}`,
  });

  const total = BURST + 1;
  for (;;) {
    const [r] = await db.execute<{ done: number; failed: number }>(
      sql`SELECT count(*) FILTER (WHERE status = 'completed')::int AS done,
                 count(*) FILTER (WHERE status IN ('failed', 'canceled'))::int AS failed FROM analyses`,
    );
    if ((r?.done ?? 0) + (r?.failed ?? 0) >= total) break;
    await new Promise((res) => setTimeout(res, 1_000));
  }
  sampling = false;
  await sampler;

  const ms = (col: string) => sql.raw(`(extract(epoch from ${col}) * 1000)::float8`);
  const [lateRow] = await db.execute<{ started: number; run: number; done: number | null }>(
    sql`SELECT ${ms('started_at')} AS started, ${ms('run_started_at')} AS run, ${ms('completed_at')} AS done
        FROM analyses WHERE analysis_id = ${late.analysisId}`,
  );
  const [burstRow] = await db.execute<{ first: number; last: number; completed: number }>(
    sql`SELECT ${ms('min(a.started_at)')} AS first, ${ms('max(a.completed_at)')} AS last,
               count(*) FILTER (WHERE a.status = 'completed')::int AS completed
        FROM analyses a JOIN "user" u ON u.id = a.user_id WHERE u.email = ${burstUser.email}`,
  );
  const [steps] = await db.execute<{ mean: number; p50: number }>(
    sql`SELECT avg(duration_ms)::float AS mean,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::float AS p50 FROM analysis_steps`,
  );
  const violations = await checkLedgerInvariants(db);

  const arrivals = [...proxy.arrivals].sort((a, b) => a - b);
  let maxInWindow = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while ((arrivals[j] as number) < (arrivals[i] as number) - WINDOW_MS + 1) j++;
    maxInWindow = Math.max(maxInWindow, i - j + 1);
  }
  const wallS = ((burstRow?.last ?? 0) - (burstRow?.first ?? 0)) / 1000;
  const requests = arrivals.length;
  // The budget lets RPM requests through per window: the last of them cannot go before
  // floor((requests - 1) / RPM) windows have passed, and its analysis's steps take their latency.
  const idealBudgetS =
    RPM > 0 ? Math.floor((requests - 1) / RPM) * (WINDOW_MS / 1000) + (STEPS * LATENCY_MS) / 1000 : 0;
  // The per-user cap bounds one user's throughput too: CAP analyses of STEPS model calls at a time.
  const idealCapS = (Math.ceil(BURST / CAP) * STEPS * LATENCY_MS) / 1000;
  const idealS = Math.max(idealBudgetS, idealCapS);
  const lateWaitMs = Math.round((lateRow?.run ?? 0) - (lateRow?.started ?? 0));
  const stepMs = steps?.p50 ?? 0;
  const perInFlight = inFlightPeak > 0 ? Math.round(((rssPeak - rssIdle) / inFlightPeak) * 100) / 100 : 0;

  const results = {
    burstSubmitSeconds: Math.round((burstSubmitted - burstStart) / 100) / 10,
    lateStartWaitMs: lateWaitMs,
    stepMsP50: Math.round(stepMs),
    lateWaitOverStep: ratio(lateWaitMs, stepMs),
    burstWallSeconds: Math.round(wallS * 10) / 10,
    idealSeconds: Math.round(idealS * 10) / 10,
    idealBound: idealBudgetS >= idealCapS ? 'budget' : 'per-user cap',
    wallOverIdeal: ratio(wallS, idealS),
    modelRequests: requests,
    maxRequestsInAnyWindow: maxInWindow,
    budgetPerWindow: RPM,
    workerRssIdleMiB: rssIdle,
    workerRssPeakMiB: rssPeak,
    inFlightPeak,
    rssPerInFlightMiB: perInFlight,
    completed: (burstRow?.completed ?? 0) + (lateRow?.done ? 1 : 0),
  };
  printTable(
    `fairness: ${BURST} analyses from one user, then 1 from another; model ${LATENCY_MS} ms per call; budget ${RPM}/min; cap ${CAP} per user; 1 worker x ${CONCURRENCY}`,
    [
      {
        'late start ms': results.lateStartWaitMs,
        'step ms': results.stepMsP50,
        'late/step': results.lateWaitOverStep,
        'wall s': results.burstWallSeconds,
        'ideal s': `${results.idealSeconds} (${results.idealBound})`,
        'wall/ideal': results.wallOverIdeal,
        'max req/window': `${maxInWindow}/${RPM}`,
        'RSS idle/peak MiB': `${rssIdle}/${rssPeak}`,
        'in flight': inFlightPeak,
        'MiB/analysis': perInFlight,
      },
    ],
  );
  console.log(
    `\nledger invariants: ${violations.length === 0 ? 'hold' : JSON.stringify(violations)}; completed ${results.completed}/${total}`,
  );
  const saved = await saveResult('fairness', {
    config: { burst: BURST, latencyMs: LATENCY_MS, rpm: RPM, cap: CAP, concurrency: CONCURRENCY },
    at: new Date().toISOString(),
    machine: await machine(redis as unknown as Redis),
    seconds: Math.round((Date.now() - started) / 1000),
    results,
    ledgerInvariantViolations: violations.length,
  });
  console.log(`wrote ${saved.file} (median over ${saved.runs} run(s) of this configuration)`);

  await worker.stop();
  await proxy.close();
  redis.disconnect();
  await database.close();
  await stack.stop();
  if (violations.length > 0 || results.completed !== total || (RPM > 0 && maxInWindow > RPM))
    process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err);
  await stopWorker?.();
  await stack?.stop();
  process.exit(1);
});
