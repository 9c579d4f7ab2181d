import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@revmemo/devstack';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnProcess } from '../support/processes';
import { waitUntil } from '../support/wait';

/** Every process whose parent chain leads to `root`, plus any process mentioning `marker` (postgres). */
function processTree(root: number, marker: string): number[] {
  const parents = new Map<number, number>();
  const found = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.add(pid);
    } catch {
      // the process ended while we looked
    }
  }
  for (const pid of parents.keys()) {
    for (let p: number | undefined = pid; p && p > 1; p = parents.get(p)) {
      if (p === root) found.add(pid);
    }
  }
  return [...found];
}

const alive = (pid: number) => {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
};

/** `pnpm dev` in its own process group, so Ctrl-C can be sent the way a terminal does. */
function startDev(command: string, args: string[], env: Record<string, string>) {
  return spawnProcess('pnpm dev', command, args, env, { detached: true });
}

async function checkRunning(port: number, dataDir: string, devPid: number) {
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  expect(ready.status).toBe(200);
  const tree = processTree(devPid, dataDir);
  // pnpm/dev, server, worker, the web watcher, redis-server and the postgres postmaster at least.
  expect(tree.length).toBeGreaterThanOrEqual(5);
  return tree;
}

const dataDirs: string[] = [];
/**
 * A data folder of the test's own, open to the `postgres` user so the cluster stays inside it and is
 * removed with it (a private folder, where devstack must put the data elsewhere, has its own test).
 */
async function dataFolder() {
  const dir = await mkdtemp(join(tmpdir(), 'revmemo-dev-'));
  await chmod(dir, 0o755);
  dataDirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dataDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('pnpm dev', () => {
  it('starts everything from nothing, prints the URL, and Ctrl-C (SIGINT to the terminal group) leaves no process behind', async () => {
    const dataDir = await dataFolder();
    const port = await freePort();
    const dev = await startDev('pnpm', ['dev'], {
      REVMEMO_DATA_DIR: dataDir,
      PORT: String(port),
      REVMEMO_DEV_WEB: 'off',
    });
    await dev.waitFor(/Revmemo is running at http:\/\/localhost:\d+/, 120_000);
    await dev.waitFor(/Worker started\. Waiting for jobs on queue/, 30_000);
    expect(dev.output()).toContain('SIMULATED');
    const tree = await checkRunning(port, dataDir, dev.child.pid as number);

    // No mail server: the startup text says where account emails go, and a sign-up's link is there.
    expect(dev.output()).toContain('MAIL_URL is unset. Their links\nappear in this log');
    const signUp = await fetch(`http://localhost:${port}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://localhost:${port}` },
      body: JSON.stringify({ email: 'dev@example.com', password: 'a long password', name: 'Dev' }),
    });
    expect(signUp.status).toBe(200);
    await dev.waitFor(
      /\[server\] info email not sent \(MAIL_URL is not set\): "Verify your email for Revmemo": http:\/\/localhost:\d+\/api\/auth\/verify-email\?token=/,
      30_000,
    );

    process.kill(-(dev.child.pid as number), 'SIGINT');
    await dev.exited;
    // The stores finish their own shutdown after the group signal.
    await waitUntil(
      () => !tree.some(alive),
      `every process of the dev tree to exit: ${tree.join(' ')}`,
      15_000,
    );
  }, 240_000);

  it('a SIGTERM to the dev process alone stops children first, then the stores, and exits 0', async () => {
    const dataDir = await dataFolder();
    const port = await freePort();
    const dev = await startDev(process.execPath, ['--import', 'tsx', 'packages/devstack/src/cli/dev.ts'], {
      REVMEMO_DATA_DIR: dataDir,
      PORT: String(port),
      // Other test files serve apps/web/dist right now; rebuilding it would pull it from under them.
      REVMEMO_DEV_WEB: 'off',
    });
    await dev.waitFor(/Revmemo is running at http:\/\/localhost:\d+/, 120_000);
    await dev.waitFor(/Worker started\. Waiting for jobs on queue/, 30_000);
    const tree = await checkRunning(port, dataDir, dev.child.pid as number);

    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    await waitUntil(
      () => !tree.some(alive),
      `every process of the dev tree to exit: ${tree.join(' ')}`,
      15_000,
    );
    expect(dev.output()).toContain('revmemo dev: stopped');
  }, 240_000);
});
