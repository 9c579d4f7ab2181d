import { randomBytes, randomUUID } from 'node:crypto';
import { checkLedgerInvariants, createQuote, type Db, type QuoteRow } from '@revmemo/db';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { freshDatabase } from '../support/harness';

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

/**
 * A fresh migrated database for this file, with a raw postgres.js client for checks the repositories
 * do not offer; after every test the ledger invariants must hold. Properties are set in beforeAll.
 */
export function useLedgerDatabase() {
  const t = {} as { db: Db; raw: postgres.Sql; url: string; close(): Promise<void> };
  beforeAll(async () => {
    const env = await freshDatabase();
    Object.assign(t, { db: env.db, url: env.url, close: env.close });
    t.raw = postgres(env.url, { max: 2, onnotice: () => undefined });
  });
  afterAll(async () => {
    await t.raw?.end();
    await t.close?.();
  });
  afterEach(async () => {
    expect(await checkLedgerInvariants(t.db)).toEqual([]);
  });
  return t;
}
