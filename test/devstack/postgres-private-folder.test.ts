import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startPostgres } from '@revmemo/devstack';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes';

const NOT_ROOT =
  'skipped: not root. Only root runs PostgreSQL as another user (postgres), which must reach its folders';

/** Modes of a folder and of every folder above it, and of the folders above this checkout. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const start of [dir, repoRoot]) {
    for (let d = start; ; d = dirname(d)) {
      out[d] = (statSync(d).mode & 0o7777).toString(8);
      if (d === dirname(d)) break;
    }
  }
  return out;
}

async function query(url: string, text: string) {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return await sql.unsafe(text);
  } finally {
    await sql.end();
  }
}

describe('devstack PostgreSQL as root with its data in a private (0700) folder', () => {
  const cleanup: string[] = [];
  afterEach(async () => {
    for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('an ephemeral cluster starts, answers, stops, and no folder changed its permissions', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip(NOT_ROOT);
    const home = await mkdtemp(join(tmpdir(), 'revmemo-private-'));
    cleanup.push(home);
    expect(statSync(home).mode & 0o7777).toBe(0o700);
    const before = modes(home);

    const pg = await startPostgres({
      dataDir: join(home, 'postgres'),
      database: 'private_test',
      ephemeral: true,
    });
    try {
      const rows = await query(pg.url, 'SELECT current_database() AS db, 6 * 7 AS answer');
      expect(rows).toEqual([{ db: 'private_test', answer: 42 }]);
      // The postgres user cannot enter `home`, so the cluster lives elsewhere and says why.
      expect(pg.dataDir.startsWith(home)).toBe(false);
      expect(pg.note).toContain(join(home, 'postgres'));
    } finally {
      await pg.stop();
    }

    expect(statSync(home).mode & 0o7777).toBe(0o700);
    expect(modes(home)).toEqual(before);
    // Ephemeral: nothing is left behind where the data was.
    expect(() => statSync(pg.dataDir)).toThrow();
  }, 120_000);

  it('a persistent cluster (pnpm dev) keeps its data across restarts in one stable place', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip(NOT_ROOT);
    const home = await mkdtemp(join(tmpdir(), 'revmemo-private-'));
    cleanup.push(home);
    const before = modes(home);
    const dataDir = join(home, '.data', 'postgres');

    const first = await startPostgres({ dataDir, database: 'revmemo' });
    cleanup.push(dirname(first.dataDir));
    try {
      await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
    } finally {
      await first.stop();
    }
    const second = await startPostgres({ dataDir, database: 'revmemo' });
    try {
      expect(second.dataDir).toBe(first.dataDir);
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    } finally {
      await second.stop();
    }

    expect(first.note).toContain(dataDir);
    expect(statSync(home).mode & 0o7777).toBe(0o700);
    expect(modes(home)).toEqual(before);
  }, 120_000);
});
