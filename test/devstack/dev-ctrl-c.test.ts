import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '@revmemo/devstack';
import { expect, it } from 'vitest';
import { repoRoot } from '../support/processes';

it('Ctrl-C of `pnpm dev` exits 0 with no "Command failed" once everything stopped cleanly', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'revmemo-dev-'));
  const port = await freePort();
  // Its own process group, like a terminal's foreground job, so Ctrl-C can be sent the way a terminal does.
  const dev = spawn('pnpm', ['dev'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      REVMEMO_DATA_DIR: dataDir,
      PORT: String(port),
      // Other test files serve apps/web/dist right now; rebuilding it would pull it from under them.
      REVMEMO_DEV_WEB: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  dev.stdout.on('data', (d) => {
    out += String(d);
  });
  dev.stderr.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    dev.on('exit', (code, signal) => r({ code, signal })),
  );
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(out)) {
      if (dev.exitCode !== null) throw new Error(`dev exited early (${dev.exitCode}):\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await waitFor(/Revmemo is running at http:\/\/localhost:\d+/);
    await waitFor(/Worker started\. Waiting for jobs on queue/);

    process.kill(-(dev.pid as number), 'SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(out).toContain('revmemo dev: stopped\n');
    expect(out).not.toContain('not cleanly');
    expect(out).not.toContain('Command failed');
  } finally {
    if (dev.exitCode === null) process.kill(-(dev.pid as number), 'SIGKILL');
    // As root the data may live outside dataDir (its folder is private); the summary names it.
    const elsewhere = /data in (\S+)\)/.exec(out)?.[1];
    if (elsewhere && !elsewhere.startsWith(dataDir))
      await rm(dirname(elsewhere), { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
}, 240_000);
