/**
 * `pnpm dev`: start what the environment lacks (devstack), then the server and the worker as
 * separate processes, as in production. Ctrl-C (or SIGTERM) stops all of it, children first, and
 * exits 0 when everything stopped cleanly (1 naming what did not).
 *
 * package.json runs this file with `exec`, so pnpm's child is this process rather than a shell: a
 * shell dies of the terminal's SIGINT at once, and pnpm would report "Command failed" while this
 * process was still stopping things. The stores run in their own process group (devstack), so the
 * terminal's SIGINT reaches only the server, the worker and the web watcher; the stores are stopped
 * after them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readEnv } from '@revmemo/config';
import { DevstackError } from '../errors';
import { stopChild } from '../redis';
import { startDevstack } from '../stack';

const root = resolve(import.meta.dirname, '../../../..');
const env = readEnv();

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'process', 'pid', 'hostname']);

/** JSON log lines (pino) become one readable line each; anything else passes through. */
function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.entries(entry)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    return `${LEVELS[Number(entry.level)] ?? 'info'} ${String(entry.msg ?? '')}${extra ? `  ${extra}` : ''}`;
  } catch {
    return line;
  }
}

function prefixed(name: string, child: ChildProcess) {
  const write = (stream: NodeJS.WriteStream) => {
    let partial = ''; // a chunk may end mid-line
    return (chunk: Buffer) => {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) stream.write(`[${name}] ${readable(line)}\n`);
    };
  };
  child.stdout?.on('data', write(process.stdout));
  child.stderr?.on('data', write(process.stderr));
}

/** Where account emails go without a mail server (the server logs their links; packages/api/src/mail.ts). */
const MAIL_LINKS_NOTE =
  'Account emails (verify your email, reset password) are not sent: MAIL_URL is unset. Their links\n' +
  'appear in this log, on a line "[server] info email not sent (MAIL_URL is not set): …". Open the\n' +
  'link from there, or set MAIL_URL=smtp://user:pass@host:587 to send real mail.\n\n';

async function main() {
  let stack: Awaited<ReturnType<typeof startDevstack>>;
  try {
    stack = await startDevstack({ dataDir: resolve(root, env.REVMEMO_DATA_DIR ?? '.data'), env });
  } catch (err) {
    if (err instanceof DevstackError) {
      process.stderr.write(`revmemo dev: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  for (const line of stack.summary) process.stdout.write(`  ${line}\n`);
  const childEnv: Record<string, string | undefined> = {
    ...env,
    ...stack.env,
    NODE_ENV: env.NODE_ENV ?? 'development',
  };
  const children = new Map<string, ChildProcess>();
  /** Children that ended other than cleanly (an exit code other than 0, or killed). */
  const unclean: string[] = [];
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('revmemo dev: stopping…\n');
    await Promise.all([...children.values()].map((c) => stopChild(c, 15_000)));
    try {
      await stack.stop();
    } catch (err) {
      const causes = err instanceof AggregateError ? err.errors : [err];
      for (const cause of causes) unclean.push(cause instanceof Error ? cause.message : String(cause));
    }
    if (unclean.length > 0) {
      process.stderr.write(`revmemo dev: stopped, not cleanly: ${unclean.join('; ')}\n`);
      process.exit(1);
    }
    process.stdout.write('revmemo dev: stopped\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));

  const start = (name: string, entry: string, args: string[] = [], cwd = root) => {
    const script = entry.endsWith('.ts') ? ['--import', 'tsx', resolve(root, entry)] : [entry];
    const child = spawn(process.execPath, [...script, ...args], {
      cwd,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixed(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      // The terminal's SIGINT or our SIGTERM ending a process that does not handle it is a clean stop.
      const stoppedBySignal = signal === 'SIGINT' || signal === 'SIGTERM';
      if (code !== 0 && !stoppedBySignal) unclean.push(`${name} exited (${signal ?? code})`);
      if (!stopping) {
        process.stderr.write(`revmemo dev: ${name} exited (${signal ?? code}); stopping the rest\n`);
        void shutdown(1);
      }
    });
    children.set(name, child);
    return child;
  };

  // The server serves the built web app; build it once before it starts, then keep rebuilding on change.
  // REVMEMO_DEV_WEB=off serves the existing build as it is (e.g. while Vite's own dev server runs, or
  // in tests that must not rewrite apps/web/dist under another server's feet).
  const viteBin = resolve(root, 'apps/web/node_modules/vite/bin/vite.js');
  const webDir = resolve(root, 'apps/web');
  const buildWeb = existsSync(viteBin) && env.REVMEMO_DEV_WEB !== 'off';
  if (buildWeb) {
    process.stdout.write('revmemo dev: building the web app…\n');
    const built = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], {
      cwd: webDir,
      stdio: 'inherit',
    });
    if (built.status !== 0) process.stderr.write('revmemo dev: the web build failed; the API still runs\n');
  }

  const server = start('server', 'apps/server/src/main.ts');
  start('worker', 'apps/worker/src/main.ts');
  if (buildWeb)
    start('web', viteBin, ['build', '--watch', '--logLevel', 'warn', '--emptyOutDir', 'false'], webDir);
  server.stdout?.on('data', (d: Buffer) => {
    const m = /listening on (\S+)/i.exec(String(d));
    if (m) {
      process.stdout.write(
        `\nRevmemo is running at ${childEnv.WEBSITE_URL ?? `http://localhost:${childEnv.PORT ?? 3000}`}  (Ctrl-C stops everything)\n\n`,
      );
      if (!childEnv.MAIL_URL) process.stdout.write(MAIL_LINKS_NOTE);
    }
  });
}

void main();
