import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@revmemo/devstack';
import { describe, expect, it } from 'vitest';
import { spawnApp } from '../support/processes';

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

describe('pnpm dev', () => {
  it('starts PostgreSQL, Redis, the simulated model, server and worker from nothing, and Ctrl-C leaves no process behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'revmemo-dev-'));
    const port = await freePort();
    const dev = spawnApp('packages/devstack/src/cli/dev.ts', {
      REVMEMO_DATA_DIR: dataDir,
      PORT: String(port),
    });
    await dev.waitFor(/Revmemo is running at http:\/\/localhost:\d+/, 90_000);
    await dev.waitFor(/Worker started\. Waiting for jobs on queue/, 30_000);
    expect(dev.output()).toContain('SIMULATED');

    const health = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(health.status).toBe(200);

    const pid = dev.child.pid as number;
    const tree = processTree(pid, dataDir);
    // dev itself, server, worker, redis-server and the postgres postmaster at least.
    expect(tree.length).toBeGreaterThanOrEqual(5);

    dev.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(tree.filter(alive)).toEqual([]);
    expect(dev.output()).toContain('revmemo dev: stopped');
  }, 180_000);
});
