import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createQuote, type Db, grantCredits, submitAnalysis, user } from '@revmemo/db';
import { countWords, hashText } from '@revmemo/engine';

const fixtures = resolve(import.meta.dirname, '../fixtures/contracts');

/**
 * A user straight in Better Auth's table (no HTTP sign-up), with `credits` granted through the
 * ledger as one adjustment (100, as a sign-up gets in the tests). With 0 the user has no credit
 * account yet, as a new sign-up before its grant.
 */
export async function seedUser(db: Db, credits = 100): Promise<string> {
  const id = randomUUID();
  await db.insert(user).values({ id, name: `user ${id.slice(0, 8)}`, email: `${id}@example.test` });
  if (credits > 0)
    await grantCredits(db, { userId: id, amount: credits, reason: 'adjustment', description: 'test grant' });
  return id;
}

/** A quoted and submitted (queued, credits held) analysis, as analysis.submit leaves it; not enqueued. */
export async function seedAnalysis(
  db: Db,
  userId: string,
  opts: { contract?: string; credits?: number } = {},
) {
  const text = await readFile(resolve(fixtures, opts.contract ?? 'saas-subscription.txt'), 'utf8');
  const quote = await createQuote(db, {
    userId,
    textHash: hashText(text),
    wordCount: countWords(text),
    credits: opts.credits ?? 10,
    fileNames: [opts.contract ?? 'saas-subscription.txt'],
    documentText: text,
    additionalContext: null,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  const { analysis } = await submitAnalysis(db, {
    userId,
    quoteId: quote.quoteId,
    idempotencyKey: randomUUID(),
  });
  return analysis;
}
