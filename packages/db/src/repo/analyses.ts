import { and, desc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db } from '../client';
import {
  IdempotencyConflictError,
  InsufficientCreditsError,
  isUniqueViolation,
  QuoteAlreadyUsedError,
  QuoteExpiredError,
  QuoteNotFoundError,
} from '../errors';
import type { AnalysisRow, AnalysisSummary, Page } from '../rows';
import { analyses, creditAccounts, creditHolds, quotes } from '../schema/index';
import { lockAccount } from './credits';
import { clampLimit, decodeCursor, encodeCursor, isUuid } from './util';

const {
  documentText: _documentText,
  memoContent: _memoContent,
  ...summaryColumns
} = getTableColumns(analyses);
/** Columns of AnalysisSummary: everything but the contract text and the memo. */
export const analysisSummaryColumns = summaryColumns;

export interface SubmitInput {
  userId: string;
  quoteId: string;
  idempotencyKey: string;
  /** Clock for the quote-expiry check (tests move it). */
  now?: Date;
}

export interface SubmitResult {
  analysis: AnalysisRow;
  /** False when this key already started an analysis: a retry or double click, not a new charge. */
  created: boolean;
}

/**
 * Starts an analysis from a quote in ONE transaction: lock the credit account, check the quote and
 * the available credits, insert the analysis (queued) and its hold. The account lock serializes
 * concurrent submits by the same user, so a repeated idempotency key sees the first one's row.
 */
export async function submitAnalysis(db: Db, input: SubmitInput): Promise<SubmitResult> {
  const quoteId = input.quoteId.toLowerCase();
  if (!isUuid(quoteId)) throw new QuoteNotFoundError(input.quoteId);
  try {
    return await db.transaction(async (tx) => {
      const account = await lockAccount(tx, input.userId);

      const existing = await findByIdempotencyKey(tx, input.userId, input.idempotencyKey);
      if (existing) return sameQuoteOrConflict(existing, quoteId, input.idempotencyKey);

      const [quote] = await tx.select().from(quotes).where(eq(quotes.quoteId, quoteId));
      if (!quote || quote.userId !== input.userId) throw new QuoteNotFoundError(quoteId);
      if (quote.expiresAt.getTime() <= (input.now ?? new Date()).getTime()) {
        throw new QuoteExpiredError(quoteId, quote.expiresAt);
      }
      const [used] = await tx
        .select({ analysisId: analyses.analysisId })
        .from(analyses)
        .where(eq(analyses.quoteId, quoteId));
      if (used) throw new QuoteAlreadyUsedError(quoteId);

      const available = account.balance - account.held;
      if (available < quote.credits) throw new InsufficientCreditsError(quote.credits, available);

      const [analysis] = await tx
        .insert(analyses)
        .values({
          userId: input.userId,
          quoteId,
          idempotencyKey: input.idempotencyKey,
          status: 'queued',
          quotedCredits: quote.credits,
          wordCount: quote.wordCount,
          documentText: quote.documentText,
          additionalContext: quote.additionalContext,
          fileNames: quote.fileNames,
        })
        .returning();
      if (!analysis) throw new Error('insert into analyses returned no row');
      await tx.insert(creditHolds).values({
        memoUuid: analysis.memoUuid,
        analysisId: analysis.analysisId,
        userId: input.userId,
        amount: quote.credits,
        status: 'open',
      });
      await tx
        .update(creditAccounts)
        .set({ held: sql`${creditAccounts.held} + ${quote.credits}`, updatedAt: sql`now()` })
        .where(eq(creditAccounts.userId, input.userId));
      return { analysis, created: true };
    });
  } catch (err) {
    // The account lock should make these unreachable; if a row slipped past it anyway, answer as
    // the losing side of the race would have been answered under the lock.
    if (isUniqueViolation(err, 'analyses_user_idempotency_key_unique')) {
      const existing = await findByIdempotencyKey(db, input.userId, input.idempotencyKey);
      if (existing) return sameQuoteOrConflict(existing, quoteId, input.idempotencyKey);
    }
    if (isUniqueViolation(err, 'analyses_quote_id_unique')) throw new QuoteAlreadyUsedError(quoteId);
    throw err;
  }
}

async function findByIdempotencyKey(db: Db, userId: string, key: string): Promise<AnalysisRow | undefined> {
  const [row] = await db
    .select()
    .from(analyses)
    .where(and(eq(analyses.userId, userId), eq(analyses.idempotencyKey, key)));
  return row;
}

function sameQuoteOrConflict(existing: AnalysisRow, quoteId: string, key: string): SubmitResult {
  if (existing.quoteId !== quoteId) throw new IdempotencyConflictError(key, existing.analysisId);
  return { analysis: existing, created: false };
}

export async function getAnalysis(db: Db, analysisId: string): Promise<AnalysisRow | undefined> {
  if (!isUuid(analysisId)) return undefined;
  const [row] = await db.select().from(analyses).where(eq(analyses.analysisId, analysisId));
  return row;
}

/** Undefined both when it does not exist and when it belongs to someone else (no existence oracle). */
/**
 * Only the progress-bar columns of the user's analysis (undefined when missing or someone else's):
 * every progress stream reads this on connect, so it must not drag the document text along.
 */
export async function getProgressForUser(db: Db, userId: string, analysisId: string) {
  if (!isUuid(analysisId)) return undefined;
  const [row] = await db
    .select({
      analysisId: analyses.analysisId,
      status: analyses.status,
      progressStage: analyses.progressStage,
      progressPercent: analyses.progressPercent,
      progressMessage: analyses.progressMessage,
      errorMessage: analyses.errorMessage,
      startedAt: analyses.startedAt,
      updatedAt: analyses.updatedAt,
      completedAt: analyses.completedAt,
    })
    .from(analyses)
    .where(and(eq(analyses.analysisId, analysisId), eq(analyses.userId, userId)));
  return row;
}

export async function getAnalysisForUser(
  db: Db,
  userId: string,
  analysisId: string,
): Promise<AnalysisRow | undefined> {
  if (!isUuid(analysisId)) return undefined;
  const [row] = await db
    .select()
    .from(analyses)
    .where(and(eq(analyses.analysisId, analysisId), eq(analyses.userId, userId)));
  return row;
}

const isUuidValue = (v: unknown): v is string => typeof v === 'string' && isUuid(v);

/**
 * The user's analyses, newest submission first. The cursor names the last row seen; its position is
 * read back from the table because timestamptz has microseconds and a JS Date only milliseconds.
 */
export async function listAnalyses(
  db: Db,
  userId: string,
  opts: { limit?: number; cursor?: string | null } = {},
): Promise<Page<AnalysisSummary>> {
  const limit = clampLimit(opts.limit);
  const after = opts.cursor ? decodeCursor(opts.cursor, isUuidValue) : undefined;
  const rows = await db
    .select(analysisSummaryColumns)
    .from(analyses)
    .where(
      and(
        eq(analyses.userId, userId),
        after === undefined
          ? undefined
          : sql`(${analyses.startedAt}, ${analyses.analysisId}) < (select c.started_at, c.analysis_id from analyses c where c.analysis_id = ${after} and c.user_id = ${userId})`,
      ),
    )
    .orderBy(desc(analyses.startedAt), desc(analyses.analysisId))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.analysisId) : null };
}
