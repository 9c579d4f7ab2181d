import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyStripePurchase,
  checkLedgerInvariants,
  DuplicateLedgerEntryError,
  ensureAccount,
  getBalance,
  grantCredits,
  grantWelcomeCredits,
  InsufficientCreditsError,
  InvalidCursorError,
  listAnalyses,
  listTransactions,
  releaseAnalysis,
  submitAnalysis,
} from '@revmemo/db';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/processes';
import { seedUser } from '../support/seed';
import { makeQuote, newKey, useLedgerDatabase } from './fixtures';

const t = useLedgerDatabase();

const purchase = (userId: string, eventId: string, sessionId: string, credits = 250) =>
  applyStripePurchase(t.db, {
    eventId,
    eventType: 'checkout.session.completed',
    sessionId,
    userId,
    credits,
    description: 'Team pack',
  });

describe('credits', () => {
  it('a redelivered Stripe event credits once', async () => {
    const userId = await seedUser(t.db, 0);
    const results = await Promise.all(Array.from({ length: 5 }, () => purchase(userId, 'evt_1', 'cs_1')));
    expect(results.filter((r) => r === 'credited')).toHaveLength(1);
    expect(await purchase(userId, 'evt_1', 'cs_1')).toBe('duplicate');
    expect(await getBalance(t.db, userId)).toEqual({ balance: 250, held: 0, available: 250 });
  });

  it('two different events for one Checkout session credit once and both events are recorded', async () => {
    const userId = await seedUser(t.db, 0);
    expect(await purchase(userId, 'evt_completed', 'cs_2')).toBe('credited');
    expect(await purchase(userId, 'evt_async_succeeded', 'cs_2')).toBe('duplicate');
    expect(await getBalance(t.db, userId)).toMatchObject({ balance: 250 });
    const events =
      await t.raw`select event_id from stripe_events where event_id in ('evt_completed', 'evt_async_succeeded') order by 1`;
    expect(events.map((e) => e.event_id)).toEqual(['evt_async_succeeded', 'evt_completed']);
    const [entry] =
      await t.raw`select reason, amount, balance_after, stripe_event_id from credit_transactions where stripe_checkout_session_id = 'cs_2'`;
    expect(entry).toEqual({
      reason: 'purchase',
      amount: 250,
      balance_after: 250,
      stripe_event_id: 'evt_completed',
    });
  });

  it('grants and negative adjustments keep balance_after and never dip into held credits', async () => {
    const userId = await seedUser(t.db, 50);
    await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 30)).quoteId,
      idempotencyKey: newKey(),
    });
    const entry = await grantCredits(t.db, {
      userId,
      amount: -20,
      reason: 'adjustment',
      description: 'correction',
    });
    expect(entry).toMatchObject({ amount: -20, balanceAfter: 30, reason: 'adjustment' });
    const err = await grantCredits(t.db, {
      userId,
      amount: -1,
      reason: 'adjustment',
      description: 'too much',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ required: 1, available: 0, shortfall: 1 });
    expect(await getBalance(t.db, userId)).toEqual({ balance: 30, held: 30, available: 0 });
    await expect(
      grantCredits(t.db, { userId, amount: 0, reason: 'adjustment', description: 'zero' }),
    ).rejects.toBeInstanceOf(RangeError);
  });

  it('a second refund for the same memo is a DuplicateLedgerEntryError and changes nothing', async () => {
    const userId = await seedUser(t.db, 10);
    const memoUuid = '11111111-1111-4111-8111-111111111111';
    await grantCredits(t.db, { userId, amount: 5, reason: 'refund', description: 'goodwill', memoUuid });
    await expect(
      grantCredits(t.db, { userId, amount: 5, reason: 'refund', description: 'again', memoUuid }),
    ).rejects.toBeInstanceOf(DuplicateLedgerEntryError);
    expect(await getBalance(t.db, userId)).toMatchObject({ balance: 15 });
  });

  it('concurrent grants serialize on the account: balance_after forms a chain', async () => {
    const userId = await seedUser(t.db, 0);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        grantCredits(t.db, { userId, amount: i + 1, reason: 'adjustment', description: `g${i}` }),
      ),
    );
    const rows =
      await t.raw`select amount, balance_after from credit_transactions where user_id = ${userId} order by id`;
    let running = 0;
    for (const r of rows) {
      running += r.amount as number;
      expect(r.balance_after).toBe(running);
    }
    expect(running).toBe(55);
  });

  it('the database rejects held > balance, negative balances, unknown reasons and statuses by itself', async () => {
    const userId = await seedUser(t.db, 10);
    await expect(t.raw`update credit_accounts set held = 11 where user_id = ${userId}`).rejects.toMatchObject(
      {
        code: '23514',
        constraint_name: 'credit_accounts_held_within_balance',
      },
    );
    await expect(
      t.raw`update credit_accounts set balance = -1, held = 0 where user_id = ${userId}`,
    ).rejects.toMatchObject({
      code: '23514',
    });
    await expect(
      t.raw`insert into credit_transactions (user_id, reason, amount, balance_after) values (${userId}, 'gift', 1, 11)`,
    ).rejects.toMatchObject({ code: '23514', constraint_name: 'credit_transactions_reason_check' });
    const { analysis } = await submitAnalysis(t.db, {
      userId,
      quoteId: (await makeQuote(t.db, userId, 5)).quoteId,
      idempotencyKey: newKey(),
    });
    await expect(
      t.raw`update analyses set status = 'paused' where analysis_id = ${analysis.analysisId}`,
    ).rejects.toMatchObject({
      code: '23514',
      constraint_name: 'analyses_status_check',
    });
    await releaseAnalysis(t.db, {
      analysisId: analysis.analysisId,
      status: 'canceled',
      errorMessage: 'test over',
    });
    expect(await getBalance(t.db, userId)).toEqual({ balance: 10, held: 0, available: 10 });
  });

  it('a second analysis_charge for one memo violates the unique (memo_uuid, reason) guard', async () => {
    const userId = await seedUser(t.db, 10);
    const memo = '22222222-2222-4222-8222-222222222222';
    await t.raw.begin(async (tx) => {
      await tx`insert into credit_transactions (user_id, memo_uuid, reason, amount, balance_after) values (${userId}, ${memo}, 'analysis_charge', -1, 9)`;
      await tx`update credit_accounts set balance = 9 where user_id = ${userId}`;
    });
    await expect(
      t.raw`insert into credit_transactions (user_id, memo_uuid, reason, amount, balance_after) values (${userId}, ${memo}, 'analysis_charge', -1, 8)`,
    ).rejects.toMatchObject({ code: '23505', constraint_name: 'credit_transactions_memo_reason_unique' });
  });

  it('checkLedgerInvariants reports a balance changed outside the ledger and a held mismatch', async () => {
    const userId = await seedUser(t.db, 10);
    await t.raw`update credit_accounts set balance = 12, held = 1 where user_id = ${userId}`;
    const problems = await checkLedgerInvariants(t.db);
    expect(problems).toEqual(
      expect.arrayContaining([
        `account ${userId}: balance 12 != ledger sum 10`,
        `account ${userId}: held 1 != open holds 0`,
      ]),
    );
    await t.raw`update credit_accounts set balance = 10, held = 0 where user_id = ${userId}`;
  });

  it('ensureAccount is idempotent and concurrent-safe', async () => {
    const userId = await seedUser(t.db, 0);
    const rows = await Promise.all(Array.from({ length: 5 }, () => ensureAccount(t.db, userId)));
    expect(rows.every((r) => r.balance === 0 && r.held === 0)).toBe(true);
  });
});

describe('pagination', () => {
  it('listAnalyses pages newest first with an opaque cursor and no large columns', async () => {
    const userId = await seedUser(t.db, 1000);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { analysis } = await submitAnalysis(t.db, {
        userId,
        quoteId: (await makeQuote(t.db, userId, 10)).quoteId,
        idempotencyKey: newKey(),
      });
      ids.push(analysis.analysisId);
    }
    // Same submission instant for two rows: the analysis_id tiebreak keeps the order total.
    await t.raw`update analyses set started_at = (select started_at from analyses where analysis_id = ${ids[3] ?? ''}) where analysis_id = ${ids[4] ?? ''}`;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listAnalyses>> = await listAnalyses(t.db, userId, {
        limit: 3,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(3);
      for (const item of page.items) {
        expect(item).not.toHaveProperty('documentText');
        expect(item).not.toHaveProperty('memoContent');
        seen.push(item.analysisId);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(7);
    expect(seen).toEqual(expect.arrayContaining(ids));
    const full =
      await t.raw`select analysis_id from analyses where user_id = ${userId} order by started_at desc, analysis_id desc`;
    expect(seen).toEqual(full.map((r) => r.analysis_id));
    // Another user sees nothing.
    expect((await listAnalyses(t.db, await seedUser(t.db, 0), {})).items).toEqual([]);
    await expect(listAnalyses(t.db, userId, { cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    for (const analysisId of ids)
      await releaseAnalysis(t.db, { analysisId, status: 'canceled', errorMessage: 'test over' });
  });

  it('listTransactions pages newest first', async () => {
    const userId = await seedUser(t.db, 0);
    for (let i = 1; i <= 5; i++)
      await grantCredits(t.db, { userId, amount: i, reason: 'adjustment', description: `g${i}` });
    const first = await listTransactions(t.db, userId, { limit: 2 });
    expect(first.items.map((t) => t.amount)).toEqual([5, 4]);
    const second = await listTransactions(t.db, userId, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((t) => t.amount)).toEqual([3, 2]);
    const third = await listTransactions(t.db, userId, { limit: 2, cursor: second.nextCursor });
    expect(third.items.map((t) => t.amount)).toEqual([1]);
    expect(third.nextCursor).toBeNull();
    await expect(listTransactions(t.db, userId, { cursor: 'Wy0xXQ' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});

describe('welcome credits', () => {
  it('are granted once per user, however many grants race', async () => {
    const userId = await seedUser(t.db, 0);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => grantWelcomeCredits(t.db, { userId, amount: 50 })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await grantWelcomeCredits(t.db, { userId, amount: 50 })).toBeNull();
    expect(await getBalance(t.db, userId)).toEqual({ balance: 50, held: 0, available: 50 });
    const { items } = await listTransactions(t.db, userId);
    expect(items.map((e) => [e.amount, e.grantKey, e.description])).toEqual([
      [50, 'welcome', 'Welcome credits'],
    ]);
  });

  it('an account credited at sign-up before verification existed is not credited again (0003 marks its entry)', async () => {
    const userId = await seedUser(t.db, 0);
    // What the old sign-up hook wrote: a plain adjustment, no grant key.
    await grantCredits(t.db, { userId, amount: 50, reason: 'adjustment', description: 'Welcome credits' });
    const migration = await readFile(join(repoRoot, 'drizzle/0003_welcome_grant.sql'), 'utf8');
    const backfill = migration.split('--> statement-breakpoint').find((part) => part.includes('UPDATE'));
    await t.raw.unsafe(backfill as string);
    expect(await grantWelcomeCredits(t.db, { userId, amount: 50 })).toBeNull();
    expect((await getBalance(t.db, userId)).balance).toBe(50);
  });
});
