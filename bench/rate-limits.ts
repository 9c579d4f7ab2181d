/**
 * What an account limit adds to a call: `consume()` from packages/api/src/rate-limits.ts (one
 * rate-limiter-flexible script per call in Redis, as every limited procedure runs it) against a raw
 * baseline measured in the same run on the same Redis and connection: one INCR round trip.
 * Sequential (one call at a time: the added latency) and with 50 in flight (the throughput).
 * No servers: this process and a redis-server from devstack.
 *
 *   node --import tsx bench/rate-limits.ts [--calls=5000]
 */
import { performance } from 'node:perf_hooks';
import { createRateLimits } from '@revmemo/api';
import { startRedis } from '@revmemo/devstack';
import { createRedisConnection } from '@revmemo/queue';
import { machine, printTable, ratio, saveResult, summarize } from './support/report';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const CALLS = Number(arg('calls', '5000'));
const IN_FLIGHT = 50;

async function timed(calls: number, inFlight: number, one: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const t = performance.now();
        await one(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: Math.round(calls / seconds), latencyMs: summarize(latencies) };
}

async function main() {
  const redis = await startRedis({});
  const commands = createRedisConnection(redis.url);
  const huge = { points: 1_000_000_000, windowSeconds: 3_600 };
  const limits = createRateLimits({
    redis: commands,
    prefix: 'bench',
    rules: {
      quote: huge,
      submit: huge,
      cancel: huge,
      checkout: huge,
      confirmCheckout: huge,
      apiKeyCreate: huge,
      signInAddress: huge,
      signInEmail: huge,
      signUpAddress: huge,
      signUpEmail: huge,
      authAddress: huge,
      authEmail: huge,
    },
    log: { warn: console.warn, info: () => undefined },
  });
  const users = 200;
  const paths = {
    raw: (i: number) => commands.incr(`bench:raw:${i % users}`),
    limiter: (i: number) => limits.consume('quote', { user: `u${i % users}` }),
  };
  // Warm up both (script load, connection), then A B B A per concurrency.
  for (const one of Object.values(paths)) await timed(200, 10, one);
  const results: Record<string, Record<string, unknown>> = {};
  const rows: Record<string, string | number>[] = [];
  for (const inFlight of [1, IN_FLIGHT]) {
    const half = Math.floor(CALLS / 2);
    const runs: Record<string, Awaited<ReturnType<typeof timed>>[]> = { raw: [], limiter: [] };
    for (const name of ['raw', 'limiter', 'limiter', 'raw'] as const)
      runs[name]?.push(await timed(half, inFlight, paths[name]));
    for (const name of ['raw', 'limiter'] as const) {
      const [a, b] = runs[name] ?? [];
      const perSecond = Math.round(((a?.perSecond ?? 0) + (b?.perSecond ?? 0)) / 2);
      const p50 = ((a?.latencyMs.p50 ?? 0) + (b?.latencyMs.p50 ?? 0)) / 2;
      results[`${name}@${inFlight}`] = { perSecond, latencyP50Ms: Math.round(p50 * 1000) / 1000 };
      rows.push({ path: name, inFlight, 'calls/s': perSecond, 'p50 ms': Math.round(p50 * 1000) / 1000 });
    }
  }
  const overhead = {
    latencyP50LimiterOverRaw: ratio(
      results['limiter@1']?.latencyP50Ms as number,
      results['raw@1']?.latencyP50Ms as number,
    ),
    throughputRawOverLimiter: ratio(
      results[`raw@${IN_FLIGHT}`]?.perSecond as number,
      results[`limiter@${IN_FLIGHT}`]?.perSecond as number,
    ),
  };
  printTable(`account limit vs raw INCR (${CALLS} calls per path and concurrency)`, rows);
  console.log(overhead);
  const saved = await saveResult('rate-limits', {
    config: { calls: CALLS, inFlight: IN_FLIGHT },
    at: new Date().toISOString(),
    machine: await machine(commands),
    results,
    overhead,
  });
  console.log(`median of ${saved.runs} run(s):`, saved.median);
  commands.disconnect();
  await redis.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
