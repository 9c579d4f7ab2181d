import { captureAnalysis, type Db, markRunning } from '@revmemo/db';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { seedAnalysis, seedUser } from '../support/seed';
import { runOps } from './support';

const opened: Awaited<ReturnType<typeof freshDatabase>>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
});

/** A fresh database with one user who has one completed, charged analysis: a healthy ledger. */
async function healthyDeployment() {
  const database = await freshDatabase();
  opened.push(database);
  const userId = await seedUser(database.db, 100);
  const a = await seedAnalysis(database.db, userId);
  await captureAnalysis(database.db, { analysisId: a.analysisId, memoContent: '# memo' });
  const env = { DATABASE_URL: database.url, REDIS_URL: redisUrl(), QUEUE_PREFIX: uniquePrefix('audit') };
  return { db: database.db as Db, userId, analysis: a, env };
}

describe('pnpm ops audit', () => {
  it('passes a healthy ledger and prints the guide recent-analyses query', async () => {
    const d = await healthyDeployment();
    const r = await runOps(['audit'], d.env);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(
      'SELECT analysis_id, status, final_charged_credits, error_message FROM analyses',
    );
    expect(r.output).toMatch(new RegExp(`${d.analysis.analysisId}\\s+completed\\s+charged 10`));
    expect(r.output).toMatch(/^✓ double charges: 0 rows$/m);
    expect(r.output).toMatch(/^✓ ledger invariants/m);
    expect(r.output).not.toContain('✗');
  });

  it('flags a double charge', async () => {
    // The unique (memo_uuid, reason) constraint stops a second charge for the same memo, but NULLs are
    // distinct to it: two analysis_charge rows without a memo pass the constraint. The guide's query
    // groups them together and catches them. Balance is kept equal to the ledger sum on purpose, so
    // only the double charge itself can give it away.
    const d = await healthyDeployment();
    await d.db.execute(sql`
      INSERT INTO credit_transactions (user_id, memo_uuid, reason, amount, balance_after, description)
      VALUES (${d.userId}, NULL, 'analysis_charge', -5, 85, 'bad import'),
             (${d.userId}, NULL, 'analysis_charge', -5, 80, 'bad import')`);
    await d.db.execute(sql`UPDATE credit_accounts SET balance = balance - 10 WHERE user_id = ${d.userId}`);
    const r = await runOps(['audit'], d.env);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^✗ double charge: memo \(no memo\) has 2 analysis_charge rows -> fix: /m);
    expect(r.output).not.toMatch(/balance \d+ != ledger sum/);
  });

  it('flags a broken invariant: balance no longer equals the sum of the ledger', async () => {
    const d = await healthyDeployment();
    // Allowed by every CHECK constraint (non-negative, held <= balance), wrong all the same.
    await d.db.execute(sql`UPDATE credit_accounts SET balance = balance + 7 WHERE user_id = ${d.userId}`);
    const r = await runOps(['audit'], d.env);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(
      new RegExp(`^✗ ledger invariant: account ${d.userId}: balance 97 != ledger sum 90 -> fix: `, 'm'),
    );
  });

  it('flags an analysis running with no live job, and a hold stuck open for hours', async () => {
    const d = await healthyDeployment();
    const running = await seedAnalysis(d.db, d.userId);
    await markRunning(d.db, running.analysisId);
    const stuck = await seedAnalysis(d.db, d.userId);
    await d.db.execute(
      sql`UPDATE credit_holds SET created_at = now() - interval '7 hours' WHERE memo_uuid = ${stuck.memoUuid}`,
    );
    const r = await runOps(['audit', '--hold-hours', '6'], d.env);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(
      new RegExp(`^✗ analysis without a job: ${running.analysisId} is running but has no live job`, 'm'),
    );
    expect(r.output).toMatch(
      new RegExp(`^✗ stuck hold: 10 credits held since .+ for analysis ${stuck.analysisId}`, 'm'),
    );
  });
});
