import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { DevstackError } from './errors';
import { freePort } from './ports';
import { spawnService } from './service';

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
}

const REDIS_HINT =
  'install it: `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), or set REDIS_URL';

/** Starts `redis-server` from PATH on a free loopback port. `dataDir` set: append-only file kept there. */
export async function startRedis(opts: {
  dataDir?: string;
  log?: (line: string) => void;
}): Promise<RunningRedis> {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) {
    throw new DevstackError('redis-server was not found on PATH', REDIS_HINT);
  }
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', ''];
  if (opts.dataDir) {
    await mkdir(opts.dataDir, { recursive: true });
    args.push('--dir', opts.dataDir, '--appendonly', 'yes');
  } else {
    args.push('--appendonly', 'no');
  }
  const child = spawnService('redis-server', args, {}, 'SIGTERM');
  child.stdout?.on('data', (d) => opts.log?.(String(d).trimEnd()));
  child.stderr?.on('data', (d) => opts.log?.(String(d).trimEnd()));
  await waitForPort(port, child);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (!(await terminate(child, 5_000)))
        throw new DevstackError('redis-server did not stop within 5 s and was killed');
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new DevstackError(`redis-server exited with code ${child.exitCode}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new DevstackError(`redis-server did not listen on port ${port} within 10 s`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  await terminate(child, graceMs);
}

/** stopChild, resolving false when the process had to be killed. */
function terminate(child: ChildProcess, graceMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(!killed);
    });
    child.kill('SIGTERM');
  });
}
