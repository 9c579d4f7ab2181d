import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import type { QuoteRow } from '../rows';
import { quotes } from '../schema/index';

export interface NewQuote {
  userId: string;
  textHash: string;
  wordCount: number;
  credits: number;
  fileNames: string[];
  documentText: string;
  additionalContext?: string | null;
  expiresAt: Date;
}

export async function createQuote(db: Db, q: NewQuote): Promise<QuoteRow> {
  const [row] = await db
    .insert(quotes)
    .values({ ...q, additionalContext: q.additionalContext ?? null })
    .returning();
  if (!row) throw new Error('insert into quotes returned no row');
  return row;
}

/** Rows changed by one statement of the cleanup; repeated until a batch comes back short. */
const CLEANUP_BATCH = 500;

export interface QuoteCleanupResult {
  /** Quotes whose document text, context and file names were deleted (the row stays, textless). */
  scrubbed: number;
  /** Textless rows of never-used quotes deleted outright. */
  deleted: number;
}

/**
 * Expired quotes lose their contract text `textAfterMs` past expiry: document text, additional
 * context, file names and text hash are emptied, the rest (owner, price, expiry) stays, so a late
 * submit still answers QUOTE_EXPIRED instead of "not found". A used quote's text lives on in its
 * analysis, which copied it at submit. `recordAfterMs` past expiry, a never-used quote's row goes
 * too (a used one stays: its analysis points at it and idempotent re-submits compare with it).
 * In batches, so a large backlog never holds one long lock. docs/limits.md, "Data that expires".
 */
export async function cleanUpExpiredQuotes(
  db: Db,
  opts: { textAfterMs: number; recordAfterMs: number; now?: Date },
): Promise<QuoteCleanupResult> {
  const now = opts.now ?? new Date();
  const textBefore = new Date(now.getTime() - opts.textAfterMs);
  const recordBefore = new Date(now.getTime() - opts.recordAfterMs);
  const result: QuoteCleanupResult = { scrubbed: 0, deleted: 0 };
  for (;;) {
    const rows = await db.execute<{ quote_id: string }>(sql`
      UPDATE quotes SET document_text = '', additional_context = NULL, file_names = '[]'::jsonb, text_hash = ''
      WHERE quote_id IN (
        SELECT quote_id FROM quotes
        WHERE expires_at < ${textBefore.toISOString()}::timestamptz AND (document_text <> '' OR text_hash <> '')
        LIMIT ${CLEANUP_BATCH}
      )
      RETURNING quote_id`);
    result.scrubbed += rows.length;
    if (rows.length < CLEANUP_BATCH) break;
  }
  for (;;) {
    const rows = await db.execute<{ quote_id: string }>(sql`
      DELETE FROM quotes WHERE quote_id IN (
        SELECT q.quote_id FROM quotes q
        WHERE q.expires_at < ${recordBefore.toISOString()}::timestamptz
          AND NOT EXISTS (SELECT 1 FROM analyses a WHERE a.quote_id = q.quote_id)
        LIMIT ${CLEANUP_BATCH}
      )
      RETURNING quote_id`);
    result.deleted += rows.length;
    if (rows.length < CLEANUP_BATCH) break;
  }
  return result;
}
