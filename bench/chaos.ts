/**
 * `pnpm chaos`: the product's real processes under worker SIGKILLs, a web SIGKILL and Redis and
 * PostgreSQL restarts (see bench/support/chaos-run.ts and docs/chaos.md). Prints the figures and
 * writes them to bench/results/chaos.json. Exit code 1 when an invariant broke.
 *
 *   pnpm chaos [--analyses 60] [--fail 6] [--kill-every 2000-4000] [--max-kills N]
 *              [--duration 180] [--latency 400] [--stream-ms 1000] [--down 3000] [--settle 180]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ChaosOptions,
  DEFAULT_CHAOS,
  formatChaosReport,
  killEverything,
  runChaos,
} from './support/chaos-run';
import { resultsDir } from './support/report';

const { values } = parseArgs({
  options: {
    analyses: { type: 'string' },
    fail: { type: 'string' },
    'kill-every': { type: 'string' },
    'max-kills': { type: 'string' },
    duration: { type: 'string' },
    latency: { type: 'string' },
    'stream-ms': { type: 'string' },
    down: { type: 'string' },
    settle: { type: 'string' },
  },
});

const num = (v: string | undefined, fallback: number, what: string) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`chaos: --${what} must be a non-negative number`);
    process.exit(2);
  }
  return n;
};
const killEvery = (values['kill-every'] ?? `${DEFAULT_CHAOS.killEveryMs[0]}-${DEFAULT_CHAOS.killEveryMs[1]}`)
  .split('-')
  .map((x) => num(x, 0, 'kill-every'));
const opts: ChaosOptions = {
  analyses: num(values.analyses, DEFAULT_CHAOS.analyses, 'analyses'),
  meantToFail: num(values.fail, DEFAULT_CHAOS.meantToFail, 'fail'),
  killEveryMs: [killEvery[0] ?? 2_000, killEvery[1] ?? killEvery[0] ?? 4_000],
  maxWorkerKills: num(values['max-kills'], DEFAULT_CHAOS.maxWorkerKills, 'max-kills'),
  durationMs: num(values.duration, DEFAULT_CHAOS.durationMs / 1000, 'duration') * 1000,
  modelLatencyMs: num(values.latency, DEFAULT_CHAOS.modelLatencyMs, 'latency'),
  modelStreamMs: num(values['stream-ms'], DEFAULT_CHAOS.modelStreamMs, 'stream-ms'),
  downMs: num(values.down, DEFAULT_CHAOS.downMs, 'down'),
  settleMs: num(values.settle, DEFAULT_CHAOS.settleMs / 1000, 'settle') * 1000,
  log: (line) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`),
};

// Bounded: setup, the chaos phase, the settle phase and a margin; then everything is stopped.
const hardLimitMs = opts.durationMs + opts.settleMs + 180_000;
const bail = (why: string) => {
  console.error(`chaos: ${why}, killing every process it started`);
  killEverything();
  process.exit(1);
};
const limit = setTimeout(() => bail(`over the ${Math.round(hardLimitMs / 1000)} s limit`), hardLimitMs);
limit.unref();
process.once('SIGINT', () => bail('interrupted'));
process.once('SIGTERM', () => bail('terminated'));

const report = await runChaos(opts);
console.log(`\n${formatChaosReport(report)}`);
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, 'chaos.json'), `${JSON.stringify(report, null, 2)}\n`);
const broken =
  report.lost +
    report.stuck +
    report.money.ledgerViolations +
    report.money.doubleCharges +
    report.money.wrongCharges +
    report.money.openHolds >
  0;
process.exit(broken ? 1 : 0);
