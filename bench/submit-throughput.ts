/**
 * The submit path: analysis.submit through tRPC over HTTP against a real server process (session
 * lookup, one transaction: lock account, hold, insert analysis; enqueue the BullMQ job after commit),
 * against baselines measured in the same run on the same database:
 *   db          submitAnalysis() from @revmemo/db alone (the raw transaction: no HTTP, tRPC or BullMQ)
 *   db+enqueue  submitAnalysis() then enqueueAnalysis() in this process (no HTTP/tRPC/auth)
 *
 *   pnpm bench:submit [--submits=600] [--users=8] [--warmup=5]
 *
 * Each path gets its own K signed-up users, each submitting their own quotes one after another
 * (K concurrent users, `submits` quotes per path in total). The phases run A B C C B A so a drift of
 * the shared machine over the run hits every path alike. Afterwards the ledger invariants must hold.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { checkLedgerInvariants, createDb, quotes, submitAnalysis } from '@revmemo/db';
import { createAnalysisQueue, createRedisConnection, enqueueAnalysis } from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { type TestClient as BenchClient, signUp, trpcClient } from '../test/support/client';
import { SMALL_CONTRACT as CONTRACT } from '../test/support/contracts';
import { machine, printTable, ratio, saveResult, summarize } from './support/report';
import { type BenchStack, guard, startBenchStack } from './support/stack';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const SUBMITS = Number(arg('submits', '600'));
const USERS = Number(arg('users', '8'));
const WARMUP = Number(arg('warmup', '5'));
const PATHS = ['trpc', 'db', 'db+enqueue'] as const;
type Path = (typeof PATHS)[number];
/** Each path runs in two halves, mirrored: trpc db db+enqueue | db+enqueue db trpc. */
const ORDER: Path[] = [...PATHS, ...[...PATHS].reverse()];
const CREDITS_PER_QUOTE = 10;

let stack: BenchStack | undefined;
guard(() => stack, 5 * 60_000);

interface User {
  id: string;
  client: BenchClient;
  /** Quote ids not yet submitted, in order. */
  quotes: string[];
}

async function main() {
  const started = Date.now();
  const perUser = Math.ceil(SUBMITS / USERS);
  stack = await startBenchStack({
    // Enough credits for every quote each user will submit.
    extraEnv: { SIGNUP_CREDITS: String((perUser + WARMUP + 1) * CREDITS_PER_QUOTE) },
  });
  const { url, databaseUrl, redisUrl, prefix } = stack;
  // The same pool size as the server's (createApiDeps: max 20).
  const database = createDb(databaseUrl, { max: 20 });
  const { db } = database;
  const commands = createRedisConnection(redisUrl);
  const queue = createAnalysisQueue({ connection: commands, prefix, eventsMaxLen: 10_000 });

  const users = new Map<Path, User[]>();
  const runTag = Date.now().toString(36);
  const textHash = createHash('sha256').update(CONTRACT).digest('hex');
  const wordCount = CONTRACT.split(/\s+/).filter(Boolean).length;
  for (const path of PATHS) {
    const list: User[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = `sub-${path.replace('+', '-')}-${i}-${runTag}@example.com`;
      const u = await signUp(url, email);
      const [row] = await db.execute<{ id: string }>(sql`SELECT id FROM "user" WHERE email = ${email}`);
      if (!row) throw new Error(`no user ${email}`);
      // Quotes are set up directly (quoting is not the path measured): the same row analysis.quote stores.
      const made = await db
        .insert(quotes)
        .values(
          Array.from({ length: perUser + WARMUP }, () => ({
            userId: row.id,
            textHash,
            wordCount,
            credits: CREDITS_PER_QUOTE,
            fileNames: ['contract.txt'],
            documentText: CONTRACT,
            expiresAt: new Date(Date.now() + 60 * 60_000),
          })),
        )
        .returning({ quoteId: quotes.quoteId });
      list.push({ id: row.id, client: trpcClient(url, u.cookie), quotes: made.map((q) => q.quoteId) });
    }
    users.set(path, list);
  }

  let keySeq = 0;
  const submitOne = async (path: Path, user: User, quoteId: string) => {
    const idempotencyKey = `bench-submit-${runTag}-${++keySeq}`;
    if (path === 'trpc') {
      const r = await user.client.analysis.submit.mutate({ quoteId, idempotencyKey });
      if (!r.created) throw new Error('submit did not create an analysis');
      return r.analysisId;
    }
    const { analysis, created } = await submitAnalysis(db, { userId: user.id, quoteId, idempotencyKey });
    if (!created) throw new Error('submitAnalysis did not create an analysis');
    if (path === 'db+enqueue')
      await enqueueAnalysis(queue, analysis.analysisId, { attempts: 4, backoffMs: 5000 });
    return analysis.analysisId;
  };

  /** K users at once, each submitting `count` of their quotes one after another. */
  async function phase(path: Path, count: number) {
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      (users.get(path) ?? []).map(async (user) => {
        for (let i = 0; i < count; i++) {
          const quoteId = user.quotes.shift();
          if (!quoteId) return;
          const s = performance.now();
          await submitOne(path, user, quoteId);
          latencies.push(performance.now() - s);
        }
      }),
    );
    return { latencies, seconds: (performance.now() - t0) / 1000 };
  }

  // Warm-up (JIT, connection pools, prepared statements), not measured.
  for (const path of PATHS) await phase(path, WARMUP);

  const samples = new Map<Path, { latencies: number[]; seconds: number; submits: number }>();
  const halves = [Math.ceil(perUser / 2), Math.floor(perUser / 2)];
  for (let i = 0; i < ORDER.length; i++) {
    const path = ORDER[i] as Path;
    const r = await phase(path, halves[i < PATHS.length ? 0 : 1] as number);
    const acc = samples.get(path) ?? { latencies: [], seconds: 0, submits: 0 };
    acc.latencies.push(...r.latencies);
    acc.seconds += r.seconds;
    acc.submits += r.latencies.length;
    samples.set(path, acc);
  }

  const results: Record<
    string,
    { submits: number; perSecond: number; latencyMs: ReturnType<typeof summarize> }
  > = {};
  for (const path of PATHS) {
    const s = samples.get(path);
    if (!s) continue;
    results[path] = {
      submits: s.submits,
      perSecond: Math.round((s.submits / s.seconds) * 10) / 10,
      latencyMs: summarize(s.latencies),
    };
  }
  const trpc = results.trpc;
  const raw = results.db;
  const overhead = {
    throughputDbOverTrpc: ratio(raw?.perSecond ?? 0, trpc?.perSecond ?? 0),
    latencyP50TrpcOverDb: ratio(trpc?.latencyMs.p50 ?? 0, raw?.latencyMs.p50 ?? 0),
    latencyP99TrpcOverDb: ratio(trpc?.latencyMs.p99 ?? 0, raw?.latencyMs.p99 ?? 0),
  };

  // Every submit holds its quote: balance = sum(ledger), held = sum(open holds), and the rest.
  const violations = await checkLedgerInvariants(db);
  // The database is this run's own: every analysis and hold in it comes from this benchmark.
  const [counts] = await db.execute<{ analyses: number; held: number }>(
    sql`SELECT (SELECT count(*)::int FROM analyses) AS analyses,
               (SELECT coalesce(sum(held), 0)::int FROM credit_accounts) AS held`,
  );
  const expectedAnalyses =
    PATHS.length * USERS * WARMUP + PATHS.reduce((n, p) => n + (results[p]?.submits ?? 0), 0);
  const jobs = await queue.getJobCounts('waiting');

  printTable(
    `submit path: ${USERS} concurrent users, ${SUBMITS} submits per path (after ${WARMUP} warm-up each per user)`,
    PATHS.map((p) => ({
      path: p,
      submits: results[p]?.submits ?? 0,
      'submits/s': results[p]?.perSecond ?? 0,
      'p50 ms': results[p]?.latencyMs.p50 ?? 0,
      'p95 ms': results[p]?.latencyMs.p95 ?? 0,
      'p99 ms': results[p]?.latencyMs.p99 ?? 0,
      'max ms': results[p]?.latencyMs.max ?? 0,
    })),
  );
  console.log(
    `\ntrpc vs raw db: throughput ${overhead.throughputDbOverTrpc}x lower, p50 ${overhead.latencyP50TrpcOverDb}x, p99 ${overhead.latencyP99TrpcOverDb}x`,
  );
  console.log(
    `ledger invariants: ${violations.length === 0 ? 'hold ([])' : JSON.stringify(violations)}; analyses ${counts?.analyses}/${expectedAnalyses}; held ${counts?.held} = ${expectedAnalyses * CREDITS_PER_QUOTE}; waiting jobs ${jobs.waiting}`,
  );

  const saved = await saveResult('submit-throughput', {
    config: { submits: SUBMITS, users: USERS, warmup: WARMUP },
    at: new Date().toISOString(),
    machine: await machine(commands as unknown as Redis),
    seconds: Math.round((Date.now() - started) / 1000),
    results,
    overhead,
    ledgerInvariantViolations: violations.length,
    analyses: counts?.analyses ?? 0,
    expectedAnalyses,
  });
  console.log(`wrote ${saved.file} (median over ${saved.runs} run(s) of this configuration)`);

  await queue.close();
  commands.disconnect();
  await database.close();
  await stack.stop();
  if (violations.length > 0 || counts?.analyses !== expectedAnalyses) process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err);
  console.error(stack?.serverOutput().slice(-2000));
  await stack?.stop();
  process.exit(1);
});
