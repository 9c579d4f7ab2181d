import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { repoRoot } from '../support/processes';

const run = promisify(execFile);
const clientDir = resolve(repoRoot, 'packages/client');
const versionOf = async (pkg: string) =>
  (
    JSON.parse(await readFile(resolve(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** Holds a directory lock so test files running at once do not build dist/ over each other. */
async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `${name}.lock`);
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (i > 600) throw new Error(`lock ${lock} held too long (remove it if no test runs)`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface InstalledClient {
  /** A project outside the workspace with the packed @revmemo/client installed. */
  dir: string;
  tarball: string;
  /** The installed `revmemo` bin. */
  bin: string;
  /** tsc from the project's own node_modules. */
  tsc: string;
  cleanup(): Promise<void>;
}

/**
 * Packs packages/client as an integrator would get it (`pnpm pack` builds it first) and installs
 * the tarball into a fresh project in the OS temp folder with no network (`--offline`: from the
 * pnpm store only), with TypeScript and Node's types for type-checking a program against it.
 */
export async function packAndInstallClient(): Promise<InstalledClient> {
  const packDir = await mkdtemp(join(tmpdir(), 'revmemo-pack-'));
  await withLock('revmemo-client-pack', () =>
    run('pnpm', ['pack', '--pack-destination', packDir], { cwd: clientDir, env: process.env }),
  );
  const [file] = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
  if (!file) throw new Error(`pnpm pack left no tarball in ${packDir}`);
  const tarball = join(packDir, file);
  const dir = await mkdtemp(join(tmpdir(), 'revmemo-integrator-'));
  expect(dir.startsWith(repoRoot)).toBe(false);
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'integrator-app', private: true, type: 'module' }, null, 2),
  );
  await run(
    'pnpm',
    [
      'add',
      tarball,
      `typescript@${await versionOf('typescript')}`,
      `@types/node@${await versionOf('@types/node')}`,
      '--offline',
    ],
    { cwd: dir, env: { ...process.env, npm_config_offline: 'true' } },
  );
  return {
    dir,
    tarball,
    bin: join(dir, 'node_modules/.bin/revmemo'),
    tsc: join(dir, 'node_modules/.bin/tsc'),
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
      await rm(packDir, { recursive: true, force: true });
    },
  };
}

export async function createApiKey(url: string, cookie: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/api-key/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: url },
    body: JSON.stringify({ name: 'integration' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { key: string }).key;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  write(s: string): void;
  done: Promise<Finished>;
}

/** Runs a command (no shell) with a plain pipe for stdout: not a terminal. */
export function start(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Running {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    out += String(d);
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += String(d);
  });
  const done = new Promise<Finished>((r) =>
    child.on('close', (code) => r({ code, stdout: out, stderr: err })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    write: (s) => void child.stdin?.write(s),
    done,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const check = () => {
          if (pattern.test(out)) {
            waiters.delete(check);
            clearTimeout(timer);
            res();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`no ${pattern} in output:\n${out}\n${err}`));
        }, timeoutMs);
        void done.then(() => {
          if (!pattern.test(out)) {
            clearTimeout(timer);
            rej(new Error(`exited before ${pattern}; output:\n${out}\n${err}`));
          }
        });
        waiters.add(check);
        check();
      });
    },
  };
}

/** Redis stream ids ("ms-seq") in order. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
