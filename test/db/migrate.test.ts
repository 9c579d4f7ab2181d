import { captureAnalysis, markRunning, migrate, releaseAnalysis, submitAnalysis } from '@revmemo/db';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { seedUser } from '../support/seed';
import { makeQuote, newKey, usage, useLedgerDatabase } from './fixtures';

// Verbatim from the original deployment guide: operators keep pasting these.
const GUIDE = {
  addMemoColumn: 'ALTER TABLE analyses ADD COLUMN IF NOT EXISTS memo_content TEXT;',
  verifyMemoColumn: `SELECT column_name, data_type 
FROM information_schema.columns 
WHERE table_name = 'analyses' AND column_name = 'memo_content';`,
  recentAnalyses:
    'SELECT analysis_id, status, final_charged_credits, error_message FROM analyses ORDER BY started_at DESC LIMIT 10;',
  doubleCharges:
    "SELECT memo_uuid, COUNT(*) FROM credit_transactions WHERE reason = 'analysis_charge' GROUP BY memo_uuid HAVING COUNT(*) > 1;",
};

const t = useLedgerDatabase();

describe('migrations', () => {
  it('the original guide queries run unchanged on a migrated database', async () => {
    const userId = await seedUser(t.db, 100);
    const ok = await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 10)).quoteId,
      idempotencyKey: newKey(),
    });
    await markRunning(t.db, ok.analysis.analysisId);
    await captureAnalysis(t.db, { analysisId: ok.analysis.analysisId, memoContent: '# Memo', usage });
    const bad = await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 25)).quoteId,
      idempotencyKey: newKey(),
    });
    await releaseAnalysis(t.db, {
      analysisId: bad.analysis.analysisId,
      status: 'failed',
      errorMessage: 'model refused',
    });

    await t.raw.unsafe(GUIDE.addMemoColumn); // a no-op now, as on the already-migrated production database
    expect(await t.raw.unsafe(GUIDE.verifyMemoColumn)).toEqual([
      { column_name: 'memo_content', data_type: 'text' },
    ]);

    const recent = await t.raw.unsafe(GUIDE.recentAnalyses);
    expect(recent.map((r) => [r.status, r.final_charged_credits, r.error_message])).toEqual([
      ['failed', 0, 'model refused'],
      ['completed', 10, null],
    ]);
    expect(recent[1]?.analysis_id).toBe(ok.analysis.analysisId);

    expect(await t.raw.unsafe(GUIDE.doubleCharges)).toHaveLength(0);
  });

  it('migrating an already-migrated database is a no-op', async () => {
    const before = await t.raw`select hash, created_at from drizzle.__drizzle_migrations order by id`;
    expect(before.length).toBeGreaterThan(0);
    await migrate(t.url);
    await Promise.all([migrate(t.url), migrate(t.url)]);
    expect(await t.raw`select hash, created_at from drizzle.__drizzle_migrations order by id`).toEqual(
      before,
    );
  });

  it('several processes migrating an empty database at once all succeed and apply it once', async () => {
    const name = `db_concurrent_${Date.now().toString(36)}`;
    await t.raw.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(t.url);
    url.pathname = `/${name}`;
    try {
      await Promise.all(Array.from({ length: 4 }, () => migrate(url.toString())));
      const other = postgres(url.toString(), { max: 1, onnotice: () => undefined });
      try {
        const applied = await other`select count(*)::int as n from drizzle.__drizzle_migrations`;
        const expected = await t.raw`select count(*)::int as n from drizzle.__drizzle_migrations`;
        expect(applied[0]?.n).toBe(expected[0]?.n);
        const tables =
          await other`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
        expect(tables.map((t) => t.table_name)).toEqual(
          expect.arrayContaining([
            'analyses',
            'credit_accounts',
            'credit_holds',
            'credit_transactions',
            'quotes',
            'stripe_events',
            'user',
            'session',
            'account',
            'verification',
            'apikey',
          ]),
        );
      } finally {
        await other.end();
      }
    } finally {
      await t.raw.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
