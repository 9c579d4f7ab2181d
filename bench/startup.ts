/**
 * Start-up time and idle memory of the web and worker processes, in the same run:
 *   raw               a bare Node process (web: node:http answering /healthz; worker: prints its
 *                     ready line): what Node itself costs, the baseline
 *   tsx               `node --import tsx <package>/src/main.ts`: the Procfile before issue 13
 *   compiled          the Procfile's own command: the bundle from `pnpm build:node`, source maps on
 *   compiled-no-maps  the same bundle without --enable-source-maps: what the readable stack traces cost
 *
 *   pnpm bench:startup [--runs=5] [--idle-ms=3000]
 *
 * Start-up = spawn until the process answers: web, the first 200 from GET /healthz (polled every
 * 5 ms; the web process migrates, a no-op here, before it listens); worker, its "Worker started"
 * line (connected to Redis and PostgreSQL, runtime up). Start CPU = user + system time the process
 * used up to then. Idle RSS = VmRSS `--idle-ms` after it answered, nothing asked of it meanwhile.
 * Variants rotate their order every repetition, so a drift of the shared machine hits all alike.
 * Builds first, so the bundles measured are the sources' own.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrate } from '@revmemo/db';
import { freePort, startDevstack } from '@revmemo/devstack';
import { startModelSimulator } from '@revmemo/model-simulator';
import { Redis } from 'ioredis';
import { type AppProcess, repoRoot, spawnProcess, stackEnv } from '../test/support/processes';
import { machine, printTable, ratio, rssMiB, saveResult } from './support/report';
import { guard } from './support/stack';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const RUNS = Number(arg('runs', '5'));
const IDLE_MS = Number(arg('idle-ms', '3000'));

const KINDS = ['web', 'worker'] as const;
type Kind = (typeof KINDS)[number];
const VARIANTS = ['raw', 'tsx', 'compiled', 'compiled-no-maps'] as const;
type Variant = (typeof VARIANTS)[number];

const RAW: Record<Kind, string> = {
  web: `require('node:http').createServer((q, s) => s.end('ok')).listen(+process.env.PORT, process.env.HOST)`,
  worker: `console.log('Worker started'); setInterval(() => {}, 1 << 30)`,
};
const SOURCES: Record<Kind, string> = { web: 'apps/server/src/main.ts', worker: 'apps/worker/src/main.ts' };

/** The Procfile's command for a process type, as node's arguments. */
function procfileArgs(kind: Kind): string[] {
  const line = readFileSync(resolve(repoRoot, 'Procfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${kind}:`));
  const [program, ...args] = (line ?? '')
    .slice(kind.length + 1)
    .trim()
    .split(/\s+/);
  if (program !== 'node') throw new Error(`Procfile ${kind}: expected a node command`);
  return args;
}

function argsOf(kind: Kind, variant: Variant): string[] {
  if (variant === 'raw') return ['-e', RAW[kind]];
  if (variant === 'tsx') return ['--import', 'tsx', SOURCES[kind]];
  const args = procfileArgs(kind);
  return variant === 'compiled' ? args : args.filter((a) => a !== '--enable-source-maps');
}

/** User + system CPU time of a process in ms (Linux /proc; clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function untilHealthy(url: string, proc: AppProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`web exited early:\n${proc.output().slice(-2000)}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(5);
  }
  throw new Error(`web did not answer /healthz:\n${proc.output().slice(-2000)}`);
}

interface Sample {
  startMs: number;
  startCpuMs: number;
  idleRssMiB: number;
}

let stopAll: (() => Promise<void>) | undefined;
// 8 variants x runs processes, each started, left idle and stopped: longer than the other benchmarks.
guard(() => (stopAll ? { stop: stopAll } : undefined), 10 * 60_000);

async function main() {
  const stops: (() => Promise<unknown>)[] = [];
  stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };

  const build = spawnProcess('pnpm build:node', 'pnpm', ['build:node'], {});
  const buildStarted = performance.now();
  if ((await build.exited) !== 0) throw new Error(`pnpm build:node failed:\n${build.output()}`);
  const buildMs = Math.round(performance.now() - buildStarted);

  const dataDir = await mkdtemp(join(tmpdir(), 'revmemo-bench-startup-'));
  stops.push(() => rm(dataDir, { recursive: true, force: true }));
  const devstack = await startDevstack({
    dataDir,
    ephemeral: true,
    env: { OPENAI_API_KEY: 'x' },
    database: 'revmemo_bench',
  });
  stops.push(() => devstack.stop());
  const databaseUrl = devstack.env.DATABASE_URL;
  const redisUrl = devstack.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) throw new Error('devstack did not start PostgreSQL and Redis');
  // As on a deploy: the release step migrated, so the web process's own migrate is a no-op.
  await migrate(databaseUrl);
  const model = await startModelSimulator({ latencyMs: 0 });
  stops.push(() => model.close());
  const redis = new Redis(redisUrl);
  stops.push(() => redis.quit());

  const samples = Object.fromEntries(
    KINDS.map((k) => [k, Object.fromEntries(VARIANTS.map((v) => [v, [] as Sample[]]))]),
  ) as Record<Kind, Record<Variant, Sample[]>>;

  const once = async (kind: Kind, variant: Variant): Promise<Sample> => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = stackEnv({
      databaseUrl,
      redisUrl,
      modelUrl: model.url,
      prefix: 'bench-startup',
      extra: { NODE_ENV: 'production', WEBSITE_URL: url, PORT: String(port), HOST: '127.0.0.1' },
    });
    const t0 = performance.now();
    const proc = spawnProcess(`${kind} ${variant}`, process.execPath, argsOf(kind, variant), env);
    stops.push(() => proc.stop());
    try {
      if (kind === 'web') await untilHealthy(url, proc);
      else await proc.waitFor(/Worker started/, 60_000);
      const startMs = performance.now() - t0;
      const pid = proc.child.pid as number;
      const startCpuMs = await cpuMs(pid);
      await sleep(IDLE_MS);
      return { startMs, startCpuMs, idleRssMiB: await rssMiB(pid) };
    } finally {
      const code = await proc.stop(30_000);
      if (code !== 0 && variant !== 'raw') console.error(`${kind} ${variant} exited ${code}`);
    }
  };

  for (let i = 0; i < RUNS; i++) {
    for (const kind of KINDS) {
      const order = VARIANTS.map((_, j) => VARIANTS[(i + j) % VARIANTS.length] as Variant);
      for (const variant of order) samples[kind][variant].push(await once(kind, variant));
    }
    process.stdout.write(`run ${i + 1}/${RUNS} done\n`);
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
  };
  const round1 = (x: number) => Math.round(x * 10) / 10;
  const results: Record<string, Record<string, Record<string, number>>> = {};
  const rows: Record<string, string | number>[] = [];
  for (const kind of KINDS) {
    results[kind] = {};
    const med = (v: Variant, k: keyof Sample) => median(samples[kind][v].map((s) => s[k]));
    for (const variant of VARIANTS) {
      const startMs = med(variant, 'startMs');
      const all = samples[kind][variant].map((s) => s.startMs);
      const figures = {
        startMs: round1(startMs),
        startMinMs: round1(Math.min(...all)),
        startMaxMs: round1(Math.max(...all)),
        startCpuMs: med(variant, 'startCpuMs'),
        idleRssMiB: round1(med(variant, 'idleRssMiB')),
        startVsRaw: ratio(startMs, med('raw', 'startMs')),
        rssVsRaw: ratio(med(variant, 'idleRssMiB'), med('raw', 'idleRssMiB')),
      };
      results[kind][variant] = figures;
      rows.push({
        process: kind,
        variant,
        'start ms (min-max)': `${figures.startMs} (${figures.startMinMs}-${figures.startMaxMs})`,
        'start CPU ms': figures.startCpuMs,
        'idle RSS MiB': figures.idleRssMiB,
        'start x raw': figures.startVsRaw,
        'RSS x raw': figures.idleRssMiB === 0 ? '-' : figures.rssVsRaw,
      });
    }
    results[kind].compiledVsTsx = {
      start: ratio(med('compiled', 'startMs'), med('tsx', 'startMs')),
      startCpu: ratio(med('compiled', 'startCpuMs'), med('tsx', 'startCpuMs')),
      idleRss: ratio(med('compiled', 'idleRssMiB'), med('tsx', 'idleRssMiB')),
    };
  }
  printTable(`start-up and idle memory (median of ${RUNS} runs; idle = ${IDLE_MS} ms after ready)`, rows);
  for (const kind of KINDS) {
    const r = results[kind]?.compiledVsTsx;
    console.log(
      `${kind}: compiled / tsx = start ${r?.start}x, start CPU ${r?.startCpu}x, idle RSS ${r?.idleRss}x`,
    );
  }
  const saved = await saveResult('startup', {
    config: { runs: RUNS, idleMs: IDLE_MS },
    at: new Date().toISOString(),
    machine: await machine(redis),
    // Wall-clock start-up stretches with the machine's load; CPU time and RSS hardly do.
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    buildMs,
    results,
  });
  console.log(`saved ${saved.file} (median over ${saved.runs} runs)`);
  await stopAll();
}

main().then(
  () => process.exit(0),
  async (err) => {
    console.error(err);
    await stopAll?.();
    process.exit(1);
  },
);
