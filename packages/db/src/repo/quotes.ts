import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import type { QuoteRow } from '../rows';
import { quotes } from '../schema/index';
import { isUuid } from './util';

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

export async function getQuote(db: Db, quoteId: string): Promise<QuoteRow | undefined> {
  if (!isUuid(quoteId)) return undefined;
  const [row] = await db.select().from(quotes).where(eq(quotes.quoteId, quoteId));
  return row;
}
