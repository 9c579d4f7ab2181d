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
