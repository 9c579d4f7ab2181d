import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { DuplicateLedgerEntryError, InsufficientCreditsError } from '../errors';
import type { CreditAccountRow, LedgerEntryRow, Page } from '../rows';
import { creditAccounts, creditTransactions, type LedgerReason, stripeEvents } from '../schema/index';
import { clampLimit, decodeCursor, encodeCursor } from './util';

/** Creates the user's credit account (balance 0) if missing. Idempotent and safe under concurrency. */
export async function ensureAccount(db: Db, userId: string): Promise<CreditAccountRow> {
  await db.insert(creditAccounts).values({ userId }).onConflictDoNothing();
  const [row] = await db.select().from(creditAccounts).where(eq(creditAccounts.userId, userId));
  if (!row) throw new Error(`credit account for ${userId} vanished`);
  return row;
}

/**
 * Ensures the account and locks it FOR UPDATE until the transaction ends. Every change to a user's
 * balance or holds goes through this lock, which is what serializes concurrent submits and grants.
 */
export async function lockAccount(tx: Db, userId: string): Promise<CreditAccountRow> {
  await tx.insert(creditAccounts).values({ userId }).onConflictDoNothing();
  const [row] = await tx.select().from(creditAccounts).where(eq(creditAccounts.userId, userId)).for('update');
  if (!row) throw new Error(`credit account for ${userId} vanished`);
  return row;
}

export interface Balance {
  balance: number;
  held: number;
  /** What a new submit may spend: balance minus credits held by running analyses. */
  available: number;
}

export async function getBalance(db: Db, userId: string): Promise<Balance> {
  const [row] = await db
    .select({ balance: creditAccounts.balance, held: creditAccounts.held })
    .from(creditAccounts)
    .where(eq(creditAccounts.userId, userId));
  const balance = row?.balance ?? 0;
  const held = row?.held ?? 0;
  return { balance, held, available: balance - held };
}

export interface GrantInput {
  userId: string;
  /** Signed, non-zero. A negative adjustment may not dip into credits held by running analyses. */
  amount: number;
  /** analysis_charge is written only by captureAnalysis. */
  reason: Exclude<LedgerReason, 'analysis_charge'>;
  description: string;
  memoUuid?: string | null;
  stripeCheckoutSessionId?: string | null;
  stripeEventId?: string | null;
}

/** Appends one ledger row and moves the balance by the same amount, in one transaction. */
export async function grantCredits(db: Db, input: GrantInput): Promise<LedgerEntryRow> {
  if (!Number.isInteger(input.amount) || input.amount === 0) {
    throw new RangeError(`grant amount must be a non-zero integer, got ${input.amount}`);
  }
  if ((input.reason as LedgerReason) === 'analysis_charge') {
    throw new RangeError('analysis charges are written by captureAnalysis only');
  }
  return db.transaction(async (tx) => {
    const account = await lockAccount(tx, input.userId);
    const balanceAfter = account.balance + input.amount;
    if (balanceAfter < account.held) {
      throw new InsufficientCreditsError(-input.amount, account.balance - account.held);
    }
    const [entry] = await tx
      .insert(creditTransactions)
      .values({
        userId: input.userId,
        reason: input.reason,
        amount: input.amount,
        balanceAfter,
        description: input.description,
        memoUuid: input.memoUuid ?? null,
        stripeCheckoutSessionId: input.stripeCheckoutSessionId ?? null,
        stripeEventId: input.stripeEventId ?? null,
      })
      // Conflicts on (memo_uuid, reason) or the Stripe session: turned into a typed error (and a rollback).
      .onConflictDoNothing()
      .returning();
    if (!entry) {
      throw new DuplicateLedgerEntryError(
        input.stripeCheckoutSessionId
          ? `stripe session ${input.stripeCheckoutSessionId}`
          : `${input.reason} for memo ${input.memoUuid}`,
      );
    }
    await tx
      .update(creditAccounts)
      .set({ balance: balanceAfter, updatedAt: sql`now()` })
      .where(eq(creditAccounts.userId, input.userId));
    return entry;
  });
}

/** The grant key of the sign-up credits (see the unique `(user_id, grant_key)` in the ledger). */
const WELCOME_GRANT_KEY = 'welcome';

/**
 * Grants the sign-up credits at most once per user, ever: a second call (a verification link followed
 * twice, two at once, an account that got them before verification existed) returns null and changes
 * nothing. The unique `(user_id, grant_key)` decides, so it holds across processes.
 */
export async function grantWelcomeCredits(
  db: Db,
  input: { userId: string; amount: number },
): Promise<LedgerEntryRow | null> {
  if (!Number.isInteger(input.amount) || input.amount <= 0) {
    throw new RangeError(`welcome credits must be a positive integer, got ${input.amount}`);
  }
  return db.transaction(async (tx) => {
    const account = await lockAccount(tx, input.userId);
    const balanceAfter = account.balance + input.amount;
    const [entry] = await tx
      .insert(creditTransactions)
      .values({
        userId: input.userId,
        reason: 'adjustment',
        amount: input.amount,
        balanceAfter,
        description: 'Welcome credits',
        grantKey: WELCOME_GRANT_KEY,
      })
      .onConflictDoNothing({ target: [creditTransactions.userId, creditTransactions.grantKey] })
      .returning();
    if (!entry) return null;
    await tx
      .update(creditAccounts)
      .set({ balance: balanceAfter, updatedAt: sql`now()` })
      .where(eq(creditAccounts.userId, input.userId));
    return entry;
  });
}

export interface StripePurchaseInput {
  eventId: string;
  eventType: string;
  sessionId: string;
  userId: string;
  credits: number;
  description: string;
}

/**
 * Applies a paid Checkout session at most once. Stripe redelivers events and may send several event
 * types for one session, so both the event id and the session id are deduplicated by unique keys.
 */
export async function applyStripePurchase(
  db: Db,
  input: StripePurchaseInput,
): Promise<'credited' | 'duplicate'> {
  if (!Number.isInteger(input.credits) || input.credits <= 0) {
    throw new RangeError(`purchase credits must be a positive integer, got ${input.credits}`);
  }
  return db.transaction(async (tx) => {
    const recorded = await tx
      .insert(stripeEvents)
      .values({ eventId: input.eventId, type: input.eventType })
      .onConflictDoNothing()
      .returning({ eventId: stripeEvents.eventId });
    if (recorded.length === 0) return 'duplicate';

    const account = await lockAccount(tx, input.userId);
    const balanceAfter = account.balance + input.credits;
    const [entry] = await tx
      .insert(creditTransactions)
      .values({
        userId: input.userId,
        reason: 'purchase',
        amount: input.credits,
        balanceAfter,
        description: input.description,
        stripeCheckoutSessionId: input.sessionId,
        stripeEventId: input.eventId,
      })
      .onConflictDoNothing({ target: creditTransactions.stripeCheckoutSessionId })
      .returning({ id: creditTransactions.id });
    // Another event already paid out this session; the event stays recorded so it is not retried.
    if (!entry) return 'duplicate';

    await tx
      .update(creditAccounts)
      .set({ balance: balanceAfter, updatedAt: sql`now()` })
      .where(eq(creditAccounts.userId, input.userId));
    return 'credited';
  });
}

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** The user's ledger, newest first, keyset-paginated on the identity column. */
export async function listTransactions(
  db: Db,
  userId: string,
  opts: { limit?: number; cursor?: string | null } = {},
): Promise<Page<LedgerEntryRow>> {
  const limit = clampLimit(opts.limit);
  const before = opts.cursor ? decodeCursor(opts.cursor, isPositiveInt) : undefined;
  const rows = await db
    .select()
    .from(creditTransactions)
    .where(
      and(
        eq(creditTransactions.userId, userId),
        before === undefined ? undefined : lt(creditTransactions.id, before),
      ),
    )
    .orderBy(desc(creditTransactions.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
