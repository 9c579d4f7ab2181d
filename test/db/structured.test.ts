import { captureAnalysis, getAnalysis, getBalance, markRunning, submitAnalysis } from '@revmemo/db';
import { describe, expect, it } from 'vitest';
import { seedUser } from '../support/seed';
import { makeQuote, newKey, useLedgerDatabase } from './fixtures';

// useLedgerDatabase checks the ledger invariants after every test.
const t = useLedgerDatabase();

async function running(credits: number, grant = 100) {
  const userId = await seedUser(t.db, grant);
  const { analysis } = await submitAnalysis(t.db, {
    userId,
    quoteId: (await makeQuote(t.db, userId, credits)).quoteId,
    idempotencyKey: newKey(),
  });
  await markRunning(t.db, analysis.analysisId);
  return { userId, analysisId: analysis.analysisId, memoUuid: analysis.memoUuid };
}

const structured = {
  version: 1,
  endedAtStep1: false,
  steps: { contract: { outcome: 'contract_exists' } },
  flags: [{ kind: 'allocation_does_not_foot', step: 'allocation', message: 'Off by 10.' }],
};

describe('structured answers are saved with the memo and its charge', () => {
  it('in the capture transaction, as given', async () => {
    const { userId, analysisId } = await running(20);
    expect(await captureAnalysis(t.db, { analysisId, memoContent: '# Memo', structured })).toBe('captured');
    const row = await getAnalysis(t.db, analysisId);
    expect(row).toMatchObject({ status: 'completed', finalChargedCredits: 20, structured });
    expect(await getBalance(t.db, userId)).toMatchObject({ balance: 80, held: 0 });
  });

  it('a memo that ends at step 1 charges the lower amount and releases the whole hold', async () => {
    const { userId, analysisId, memoUuid } = await running(20);
    const short = { ...structured, endedAtStep1: true, flags: [] };
    await captureAnalysis(t.db, { analysisId, memoContent: '# Memo', structured: short, chargeCredits: 4 });
    expect(await getAnalysis(t.db, analysisId)).toMatchObject({ finalChargedCredits: 4, structured: short });
    expect(await getBalance(t.db, userId)).toMatchObject({ balance: 96, held: 0 });
    const ledger = await t.raw`select amount from credit_transactions where memo_uuid = ${memoUuid}`;
    expect(ledger).toEqual([{ amount: -4 }]);
  });

  it('never charges more than the quote, nor less than one credit', async () => {
    const a = await running(5);
    await captureAnalysis(t.db, { analysisId: a.analysisId, memoContent: '# Memo', chargeCredits: 50 });
    expect((await getAnalysis(t.db, a.analysisId))?.finalChargedCredits).toBe(5);
    const b = await running(5);
    await captureAnalysis(t.db, { analysisId: b.analysisId, memoContent: '# Memo', chargeCredits: 0 });
    expect((await getAnalysis(t.db, b.analysisId))?.finalChargedCredits).toBe(1);
  });
});
