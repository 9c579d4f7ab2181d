import { randomBytes, randomUUID } from 'node:crypto';
import { createQuote, type Db, grantCredits, type QuoteRow, user } from '@revmemo/db';

/** A Better Auth-shaped user row (text id), optionally with starting credits granted through the ledger. */
export async function createUser(db: Db, credits = 0): Promise<string> {
  const id = randomBytes(12).toString('hex');
  await db.insert(user).values({ id, name: `user ${id}`, email: `${id}@example.test` });
  if (credits > 0)
    await grantCredits(db, { userId: id, amount: credits, reason: 'adjustment', description: 'test grant' });
  return id;
}

export function makeQuote(
  db: Db,
  userId: string,
  credits: number,
  opts: { expiresAt?: Date; fileNames?: string[] } = {},
): Promise<QuoteRow> {
  return createQuote(db, {
    userId,
    textHash: randomBytes(16).toString('hex'),
    wordCount: credits * 100,
    credits,
    fileNames: opts.fileNames ?? ['contract.pdf'],
    documentText: 'The customer buys a licence and a year of support.',
    additionalContext: null,
    expiresAt: opts.expiresAt ?? new Date(Date.now() + 60 * 60_000),
  });
}

export const newKey = () => `key-${randomUUID()}`;

export const usage = {
  model: 'test-model',
  promptTokens: 1200,
  completionTokens: 800,
  estimatedCostUsd: 0.0123,
};
