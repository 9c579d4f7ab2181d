import {
  AnalysisNotFoundError,
  captureAnalysis,
  getAnalysis,
  getBalance,
  listQueuedOlderThan,
  listRunning,
  listTransactions,
  markRunning,
  releaseAnalysis,
  submitAnalysis,
  updateProgress,
} from '@revmemo/db';
import { describe, expect, it } from 'vitest';
import { seedUser } from '../support/seed';
import { makeQuote, newKey, usage, useLedgerDatabase } from './fixtures';

const t = useLedgerDatabase();

async function submitted(credits = 20, grant = 100) {
  const userId = await seedUser(t.db, grant);
  const { analysis } = await submitAnalysis(t.db, {
    userId,
    quoteId: (await makeQuote(t.db, userId, credits)).quoteId,
    idempotencyKey: newKey(),
  });
  return { userId, analysisId: analysis.analysisId, memoUuid: analysis.memoUuid };
}

const charges = async (memoUuid: string) =>
  t.raw`select amount, balance_after from credit_transactions where memo_uuid = ${memoUuid} and reason = 'analysis_charge'`;

describe('analysis lifecycle', () => {
  it('fences a stale run: after a takeover its progress and its release write nothing', async () => {
    const { analysisId, memoUuid } = await submitted();
    const stale = await markRunning(t.db, analysisId); // attempt 1 stalls...
    const live = await markRunning(t.db, analysisId); // ...and attempt 2 takes over
    const progress = { stage: 'price', percent: 42, message: 'Determining the transaction price' };
    expect(await updateProgress(t.db, analysisId, { ...progress, attempt: stale?.attempts })).toBe(false);
    expect(await updateProgress(t.db, analysisId, { ...progress, attempt: live?.attempts })).toBe(true);
    expect(
      await releaseAnalysis(t.db, {
        analysisId,
        status: 'failed',
        errorMessage: 'stale',
        attempt: stale?.attempts,
      }),
    ).toBe('superseded');
    expect((await getAnalysis(t.db, analysisId))?.status).toBe('running');
    expect(await captureAnalysis(t.db, { analysisId, memoContent: '# memo', usage })).toBe('captured');
    expect(await charges(memoUuid)).toHaveLength(1);
  });

  it('markRunning counts attempts, keeps the first run start, and is null once terminal', async () => {
    const { analysisId } = await submitted();
    const first = await markRunning(t.db, analysisId);
    expect(first).toMatchObject({ status: 'running', attempts: 1 });
    expect(first?.runStartedAt).toBeInstanceOf(Date);
    const retry = await markRunning(t.db, analysisId);
    expect(retry).toMatchObject({ status: 'running', attempts: 2, runStartedAt: first?.runStartedAt });
    await releaseAnalysis(t.db, { analysisId, status: 'failed', errorMessage: 'boom' });
    expect(await markRunning(t.db, analysisId)).toBeNull();
    expect(await markRunning(t.db, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('updateProgress writes only while running', async () => {
    const { analysisId } = await submitted();
    expect(
      await updateProgress(t.db, analysisId, { stage: 'contract', percent: 10, message: 'Step 1' }),
    ).toBe(false);
    await markRunning(t.db, analysisId);
    expect(await updateProgress(t.db, analysisId, { stage: 'price', percent: 42, message: 'Step 3' })).toBe(
      true,
    );
    expect(await getAnalysis(t.db, analysisId)).toMatchObject({
      progressStage: 'price',
      progressPercent: 42,
      progressMessage: 'Step 3',
    });
    await captureAnalysis(t.db, { analysisId, memoContent: 'memo', usage });
    expect(await updateProgress(t.db, analysisId, { stage: 'memo', percent: 88, message: 'late' })).toBe(
      false,
    );
    expect(await getAnalysis(t.db, analysisId)).toMatchObject({
      progressStage: 'done',
      progressPercent: 100,
    });
  });

  it('capture saves the memo and usage and charges exactly once, even when repeated', async () => {
    const { userId, analysisId, memoUuid } = await submitted(20, 100);
    await markRunning(t.db, analysisId);
    const outcomes = await Promise.all([
      captureAnalysis(t.db, { analysisId, memoContent: '# ASC 606 memo', usage }),
      captureAnalysis(t.db, { analysisId, memoContent: '# ASC 606 memo', usage }),
    ]);
    expect(outcomes.sort()).toEqual(['already-terminal', 'captured']);
    expect(await captureAnalysis(t.db, { analysisId, memoContent: 'other', usage })).toBe('already-terminal');

    expect(await getAnalysis(t.db, analysisId)).toMatchObject({
      status: 'completed',
      memoContent: '# ASC 606 memo',
      finalChargedCredits: 20,
      model: 'test-model',
      promptTokens: 1200,
      completionTokens: 800,
      estimatedCostUsd: 0.0123,
    });
    expect(await charges(memoUuid)).toEqual([{ amount: -20, balance_after: 80 }]);
    expect(await getBalance(t.db, userId)).toEqual({ balance: 80, held: 0, available: 80 });
    const [hold] = await t.raw`select status, closed_at from credit_holds where memo_uuid = ${memoUuid}`;
    expect(hold?.status).toBe('captured');
    expect(hold?.closed_at).toBeInstanceOf(Date);
  });

  it('release after capture is already-terminal and refunds nothing', async () => {
    const { userId, analysisId, memoUuid } = await submitted(20, 100);
    await captureAnalysis(t.db, { analysisId, memoContent: 'memo', usage });
    expect(await releaseAnalysis(t.db, { analysisId, status: 'canceled', errorMessage: 'too late' })).toBe(
      'already-terminal',
    );
    expect(await getAnalysis(t.db, analysisId)).toMatchObject({
      status: 'completed',
      errorMessage: null,
      finalChargedCredits: 20,
    });
    expect(await charges(memoUuid)).toHaveLength(1);
    expect(await getBalance(t.db, userId)).toEqual({ balance: 80, held: 0, available: 80 });
  });

  it('failure releases the hold, charges 0 and writes no ledger row; a later capture is refused', async () => {
    const { userId, analysisId, memoUuid } = await submitted(20, 100);
    await markRunning(t.db, analysisId);
    expect(
      await releaseAnalysis(t.db, { analysisId, status: 'failed', errorMessage: 'document unreadable' }),
    ).toBe('released');
    expect(await releaseAnalysis(t.db, { analysisId, status: 'failed', errorMessage: 'again' })).toBe(
      'already-terminal',
    );
    expect(await captureAnalysis(t.db, { analysisId, memoContent: 'memo', usage })).toBe('already-terminal');
    expect(await getAnalysis(t.db, analysisId)).toMatchObject({
      status: 'failed',
      errorMessage: 'document unreadable',
      finalChargedCredits: 0,
      memoContent: null,
    });
    expect(await charges(memoUuid)).toHaveLength(0);
    expect(await getBalance(t.db, userId)).toEqual({ balance: 100, held: 0, available: 100 });
  });

  it('capture racing cancel: exactly one wins and the books agree with it', async () => {
    for (let i = 0; i < 5; i++) {
      const { userId, analysisId } = await submitted(10, 10);
      const [c, r] = await Promise.all([
        captureAnalysis(t.db, { analysisId, memoContent: 'memo', usage }),
        releaseAnalysis(t.db, { analysisId, status: 'canceled', errorMessage: 'canceled' }),
      ]);
      expect([c, r].filter((o) => o !== 'already-terminal')).toHaveLength(1);
      expect((await getBalance(t.db, userId)).balance).toBe(c === 'captured' ? 0 : 10);
    }
  });

  it('capture and release of an unknown analysis throw AnalysisNotFoundError', async () => {
    await expect(
      captureAnalysis(t.db, { analysisId: '00000000-0000-4000-8000-000000000000', memoContent: 'x' }),
    ).rejects.toBeInstanceOf(AnalysisNotFoundError);
    await expect(
      releaseAnalysis(t.db, { analysisId: 'nope', status: 'failed', errorMessage: 'x' }),
    ).rejects.toBeInstanceOf(AnalysisNotFoundError);
  });

  it('sweeper queries find old queued and running analyses', async () => {
    const queued = await submitted();
    const running = await submitted();
    await markRunning(t.db, running.analysisId);
    const old = await listQueuedOlderThan(t.db, new Date(Date.now() + 1000));
    expect(old.map((a) => a.analysisId)).toContain(queued.analysisId);
    expect(old.map((a) => a.analysisId)).not.toContain(running.analysisId);
    expect(old[0]).not.toHaveProperty('documentText');
    expect(await listQueuedOlderThan(t.db, new Date(Date.now() - 60_000))).toEqual([]);
    expect((await listRunning(t.db)).map((a) => a.analysisId)).toContain(running.analysisId);
    await releaseAnalysis(t.db, {
      analysisId: queued.analysisId,
      status: 'canceled',
      errorMessage: 'cleanup',
    });
    await releaseAnalysis(t.db, {
      analysisId: running.analysisId,
      status: 'canceled',
      errorMessage: 'cleanup',
    });
  });

  it('the ledger lists the charge after the grant, newest first', async () => {
    const { userId, analysisId, memoUuid } = await submitted(20, 100);
    await captureAnalysis(t.db, { analysisId, memoContent: 'memo', usage });
    const page = await listTransactions(t.db, userId, { limit: 10 });
    expect(page.items.map((t) => [t.reason, t.amount, t.balanceAfter, t.memoUuid])).toEqual([
      ['analysis_charge', -20, 80, memoUuid],
      ['adjustment', 100, 100, null],
    ]);
    expect(page.nextCursor).toBeNull();
  });
});
