import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { RATE_LIMITS } from '@revmemo/config';
import { freePort, stopChild } from '@revmemo/devstack';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface AppProcess {
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code (null: killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/** Runs one of the product's entry points as its own OS process, as production does. */
export function spawnApp(entry: string, env: Record<string, string>): AppProcess {
  return spawnProcess(entry, process.execPath, ['--import', 'tsx', resolve(repoRoot, entry)], env);
}

/** Runs a shell command line the way a platform runs a Procfile entry: `sh -c` in the repository root. */
export function spawnCommand(command: string, env: Record<string, string>): AppProcess {
  return spawnProcess(command, 'sh', ['-c', `exec ${command}`], env);
}

/**
 * A child process in the repository root with only the environment given, its output collected.
 * `detached`: its own process group, like a terminal's foreground job (Ctrl-C goes to the group).
 */
export function spawnProcess(
  label: string,
  file: string,
  args: string[],
  env: Record<string, string>,
  opts: { detached?: boolean } = {},
): AppProcess {
  const child = spawn(file, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached === true,
  });
  let out = '';
  const waiters = new Set<() => void>();
  let announced = false;
  const onData = (d: Buffer) => {
    out += String(d);
    if (!announced) {
      const port = /listening on http:\/\/localhost:(\d+)/.exec(out)?.[1];
      if (port) {
        announced = true;
        serversByPort.set(port, proc);
      }
    }
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const proc: AppProcess = {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            cleanup();
            resolveWait();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern} from ${label}; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        const onExit = () => {
          // The last output may trail the exit event: look once more before giving up.
          setImmediate(() => {
            if (pattern.test(out)) return check();
            cleanup();
            reject(
              new Error(
                `${label} exited (${child.exitCode ?? child.signalCode}) before ${pattern}; output:\n${out.slice(-3000)}`,
              ),
            );
          });
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        if (child.exitCode !== null || child.signalCode !== null) onExit();
        else child.once('exit', onExit);
        check();
      });
    },
    stop: async (graceMs = 10_000) => {
      await stopChild(child, graceMs);
      return exited;
    },
    kill: (signal = 'SIGKILL') => void child.kill(signal),
  };
  return proc;
}

/** Web processes by the port their log announced ("listening on http://localhost:PORT"). */
const serversByPort = new Map<string, AppProcess>();

/**
 * The link of the account email sent to `to` by the web process behind `baseUrl`, read from that
 * process's log: with MAIL_URL unset (as in tests) the server logs the link instead of sending it.
 * The newest such line wins (a resend supersedes the first link). Addresses are unique per test.
 */
export async function mailedLinkFromLog(
  baseUrl: string,
  to: string,
  subject: RegExp = /verify your email/i,
): Promise<string> {
  // Behind a proxy (baseUrl is not a server's own port) any web process of this test may have sent it.
  const own = serversByPort.get(new URL(baseUrl).port);
  const servers = own ? [own] : [...serversByPort.values()];
  if (servers.length === 0) throw new Error(`no web process of this test serves ${baseUrl}`);
  const find = () => {
    let link: string | undefined;
    for (const line of servers.flatMap((server) => server.output().split('\n'))) {
      if (!line.includes('"component":"mail"')) continue;
      try {
        const entry = JSON.parse(line) as { to?: string; subject?: string; link?: string };
        if (entry.to === to && subject.test(entry.subject ?? '') && entry.link) link = entry.link;
      } catch {
        // not a log line of ours
      }
    }
    return link;
  };
  const deadline = Date.now() + 30_000;
  let link = find();
  while (!link && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    link = find();
  }
  if (!link) throw new Error(`no mailed link to ${to} matching ${subject} in the server log`);
  return link;
}

export interface StackEnvOptions {
  databaseUrl: string;
  redisUrl: string;
  modelUrl: string;
  prefix: string;
  extra?: Record<string, string>;
}

/** The environment a server or worker process of one test file gets. */
export function stackEnv(o: StackEnvOptions): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    OPENAI_API_KEY: 'sk-test-simulated',
    OPENAI_BASE_URL: o.modelUrl,
    OPENAI_MODEL: 'revmemo-simulated',
    AUTH_SECRET: randomBytes(32).toString('hex'),
    QUEUE_PREFIX: o.prefix,
    LOG_LEVEL: 'info',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    JOB_BACKOFF_MS: '200',
    SWEEPER_INTERVAL_MS: '1000',
    SIGNUP_CREDITS: '100',
    // Tests sign up and quote many times from one address in seconds; test/api/limits.test.ts sets
    // the small limits it checks.
    ...generousRateLimits(),
    // No shared model budget: the defaults fit a real provider's limits, and a file's analyses share
    // one Redis window; test/runner/capacity.test.ts and test/queue/model-budget.test.ts set their own.
    MODEL_REQUESTS_PER_MINUTE: '0',
    MODEL_TOKENS_PER_MINUTE: '0',
    ...o.extra,
  };
}

/** Every account limit at 100,000 a minute: present and counted, never in a test's way. */
function generousRateLimits(): Record<string, string> {
  return Object.fromEntries(Object.values(RATE_LIMITS).map((l) => [l.variable, '100000/1m']));
}

export async function startServer(env: Record<string, string>): Promise<AppProcess & { url: string }> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnApp('apps/server/src/main.ts', { WEBSITE_URL: url, ...env, PORT: String(port) });
  // Generous: tsx compiles the entry on start, and two cores are shared with other test files.
  await proc.waitFor(/listening on/, 90_000);
  return Object.assign(proc, { url });
}

export async function startWorker(env: Record<string, string>): Promise<AppProcess> {
  const proc = spawnApp('apps/worker/src/main.ts', env);
  await proc.waitFor(/Worker started\. Waiting for jobs on queue \\?"analysis\\?"/, 90_000);
  return proc;
}
