import {
  captureAnalysis,
  getBalance,
  IdempotencyConflictError,
  InsufficientCreditsError,
  QuoteAlreadyUsedError,
  QuoteExpiredError,
  QuoteNotFoundError,
  releaseAnalysis,
  submitAnalysis,
} from '@revmemo/db';
import { describe, expect, it } from 'vitest';
import { seedUser } from '../support/seed';
import { makeQuote, newKey, usage, useLedgerDatabase } from './fixtures';

const t = useLedgerDatabase();

async function countRows(table: 'analyses' | 'credit_holds', userId: string): Promise<number> {
  const rows = await t.raw`select count(*)::int as n from ${t.raw(table)} where user_id = ${userId}`;
  return rows[0]?.n ?? 0;
}

describe('submitAnalysis', () => {
  it('holds the quoted credits and copies the quote onto a queued analysis', async () => {
    const userId = await seedUser(t.db, 100);
    const quote = await makeQuote(t.db, userId, 30, { fileNames: ['a.pdf', 'b.docx'] });
    const { analysis, created } = await submitAnalysis(t.db, {
      userId,
      quoteId: quote.quoteId,
      idempotencyKey: newKey(),
    });
    expect(created).toBe(true);
    expect(analysis).toMatchObject({
      status: 'queued',
      quotedCredits: 30,
      finalChargedCredits: null,
      wordCount: quote.wordCount,
      documentText: quote.documentText,
      fileNames: ['a.pdf', 'b.docx'],
      quoteId: quote.quoteId,
      attempts: 0,
    });
    expect(analysis.memoUuid).not.toBe(analysis.analysisId);
    expect(await getBalance(t.db, userId)).toEqual({ balance: 100, held: 30, available: 70 });
  });

  it('20 concurrent submits with one key make one analysis and one hold', async () => {
    const userId = await seedUser(t.db, 100);
    const quote = await makeQuote(t.db, userId, 10);
    const key = newKey();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        submitAnalysis(t.db, { userId, quoteId: quote.quoteId, idempotencyKey: key }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.analysis.analysisId)).size).toBe(1);
    expect(await countRows('analyses', userId)).toBe(1);
    expect(await countRows('credit_holds', userId)).toBe(1);
    expect(await getBalance(t.db, userId)).toEqual({ balance: 100, held: 10, available: 90 });
  });

  it('the same key with another quote is an IdempotencyConflictError', async () => {
    const userId = await seedUser(t.db, 100);
    const key = newKey();
    const first = await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 10)).quoteId,
      idempotencyKey: key,
    });
    const other = await makeQuote(t.db, userId, 10);
    const err = await submitAnalysis(t.db, { userId, quoteId: other.quoteId, idempotencyKey: key }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect(err).toMatchObject({ existingAnalysisId: first.analysis.analysisId });
    expect(await getBalance(t.db, userId)).toMatchObject({ held: 10 });
  });

  it('a retry with the same key after the analysis finished returns it without a new hold', async () => {
    const userId = await seedUser(t.db, 50);
    const quote = await makeQuote(t.db, userId, 20);
    const key = newKey();
    const first = await submitAnalysis(t.db, { userId, quoteId: quote.quoteId, idempotencyKey: key });
    await captureAnalysis(t.db, { analysisId: first.analysis.analysisId, memoContent: 'memo', usage });
    const again = await submitAnalysis(t.db, { userId, quoteId: quote.quoteId, idempotencyKey: key });
    expect(again).toMatchObject({
      created: false,
      analysis: { analysisId: first.analysis.analysisId, status: 'completed' },
    });
    expect(await getBalance(t.db, userId)).toEqual({ balance: 30, held: 0, available: 30 });
  });

  it('not enough credits: InsufficientCreditsError with the shortfall, nothing written', async () => {
    const userId = await seedUser(t.db, 15);
    const quote = await makeQuote(t.db, userId, 25);
    const err = await submitAnalysis(t.db, {
      userId,
      quoteId: quote.quoteId,
      idempotencyKey: newKey(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ required: 25, available: 15, shortfall: 10 });
    expect(await countRows('analyses', userId)).toBe(0);
  });

  it('a user without an account (never granted) gets one with 0 available', async () => {
    const userId = await seedUser(t.db, 0);
    const quote = await makeQuote(t.db, userId, 10);
    await expect(
      submitAnalysis(t.db, { userId, quoteId: quote.quoteId, idempotencyKey: newKey() }),
    ).rejects.toMatchObject({
      required: 10,
      available: 0,
      shortfall: 10,
    });
    expect(await getBalance(t.db, userId)).toEqual({ balance: 0, held: 0, available: 0 });
  });

  it('two concurrent submits that each fit but not together: one wins, balance never overdrawn', async () => {
    const userId = await seedUser(t.db, 30);
    const [q1, q2] = [await makeQuote(t.db, userId, 20), await makeQuote(t.db, userId, 20)];
    const settled = await Promise.allSettled([
      submitAnalysis(t.db, { userId, quoteId: q1.quoteId, idempotencyKey: newKey() }),
      submitAnalysis(t.db, { userId, quoteId: q2.quoteId, idempotencyKey: newKey() }),
    ]);
    const won = settled.filter((s) => s.status === 'fulfilled');
    const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(InsufficientCreditsError);
    expect(lost[0]).toMatchObject({ required: 20, available: 10, shortfall: 10 });
    expect(await getBalance(t.db, userId)).toEqual({ balance: 30, held: 20, available: 10 });
  });

  it('rejects unknown, foreign, expired and already-used quotes', async () => {
    const userId = await seedUser(t.db, 100);
    const stranger = await seedUser(t.db, 100);
    await expect(
      submitAnalysis(t.db, {
        userId,
        quoteId: '00000000-0000-4000-8000-000000000000',
        idempotencyKey: newKey(),
      }),
    ).rejects.toBeInstanceOf(QuoteNotFoundError);
    await expect(
      submitAnalysis(t.db, { userId, quoteId: 'not-a-uuid', idempotencyKey: newKey() }),
    ).rejects.toBeInstanceOf(QuoteNotFoundError);
    const foreign = await makeQuote(t.db, stranger, 10);
    await expect(
      submitAnalysis(t.db, { userId, quoteId: foreign.quoteId, idempotencyKey: newKey() }),
    ).rejects.toBeInstanceOf(QuoteNotFoundError);

    const expiring = await makeQuote(t.db, userId, 10, { expiresAt: new Date(Date.now() + 60_000) });
    await expect(
      submitAnalysis(t.db, {
        userId,
        quoteId: expiring.quoteId,
        idempotencyKey: newKey(),
        now: new Date(Date.now() + 120_000),
      }),
    ).rejects.toBeInstanceOf(QuoteExpiredError);

    const quote = await makeQuote(t.db, userId, 10);
    await submitAnalysis(t.db, { userId, quoteId: quote.quoteId, idempotencyKey: newKey() });
    await expect(
      submitAnalysis(t.db, { userId, quoteId: quote.quoteId, idempotencyKey: newKey() }),
    ).rejects.toBeInstanceOf(QuoteAlreadyUsedError);
    expect(await getBalance(t.db, userId)).toMatchObject({ held: 10 });
  });

  it('submit then release frees the hold; submit then capture charges once', async () => {
    const userId = await seedUser(t.db, 60);
    const a = await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 25)).quoteId,
      idempotencyKey: newKey(),
    });
    const b = await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 25)).quoteId,
      idempotencyKey: newKey(),
    });
    expect(await getBalance(t.db, userId)).toEqual({ balance: 60, held: 50, available: 10 });
    expect(
      await releaseAnalysis(t.db, {
        analysisId: a.analysis.analysisId,
        status: 'canceled',
        errorMessage: 'by user',
      }),
    ).toBe('released');
    expect(await getBalance(t.db, userId)).toEqual({ balance: 60, held: 25, available: 35 });
    expect(
      await captureAnalysis(t.db, { analysisId: b.analysis.analysisId, memoContent: 'memo', usage }),
    ).toBe('captured');
    expect(await getBalance(t.db, userId)).toEqual({ balance: 35, held: 0, available: 35 });
  });
});
