import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { analyses } from './analyses';
import { user } from './auth';

export const HOLD_STATUSES = ['open', 'captured', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];
export const LEDGER_REASONS = ['purchase', 'analysis_charge', 'adjustment', 'refund'] as const;
export type LedgerReason = (typeof LEDGER_REASONS)[number];

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * One row per user. `held` is the sum of open holds; `balance - held` is what a new submit may spend.
 * The checks make an over-spend impossible even if application code is wrong.
 */
export const creditAccounts = pgTable(
  'credit_accounts',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => user.id, { onDelete: 'cascade' }),
    balance: integer('balance').notNull().default(0),
    held: integer('held').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('credit_accounts_balance_nonnegative', sql`${t.balance} >= 0`),
    check('credit_accounts_held_nonnegative', sql`${t.held} >= 0`),
    check('credit_accounts_held_within_balance', sql`${t.held} <= ${t.balance}`),
  ],
);

/** Credits reserved by a submitted analysis until it is captured (charged) or released. One per memo. */
export const creditHolds = pgTable(
  'credit_holds',
  {
    memoUuid: uuid('memo_uuid')
      .primaryKey()
      .references(() => analyses.memoUuid, { onDelete: 'cascade' }),
    analysisId: uuid('analysis_id')
      .notNull()
      .references(() => analyses.analysisId, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    amount: integer('amount').notNull(),
    status: text('status', { enum: HOLD_STATUSES }).notNull().default('open'),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** Informational: when a sweeper may consider the hold stale. Null means no deadline. */
    expiresAt: ts('expires_at'),
    closedAt: ts('closed_at'),
  },
  (t) => [
    check('credit_holds_amount_positive', sql`${t.amount} > 0`),
    check('credit_holds_status_check', sql`${t.status} in (${inList(HOLD_STATUSES)})`),
    index('credit_holds_user_open_idx').on(t.userId).where(sql`${t.status} = 'open'`),
  ],
);

/** Append-only ledger. Every balance change has exactly one row here, so balance = sum(amount). */
export const creditTransactions = pgTable(
  'credit_transactions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    memoUuid: uuid('memo_uuid'),
    reason: text('reason', { enum: LEDGER_REASONS }).notNull(),
    /** Signed: purchases and grants are positive, charges negative. */
    amount: integer('amount').notNull(),
    balanceAfter: integer('balance_after').notNull(),
    description: text('description').notNull().default(''),
    stripeCheckoutSessionId: text('stripe_checkout_session_id').unique(
      'credit_transactions_stripe_session_unique',
    ),
    stripeEventId: text('stripe_event_id'),
    /**
     * Names a grant a user may receive only once (`welcome`: the sign-up credits, given when the email
     * is verified). Null for every other entry; the unique key below makes a repeated grant a no-op.
     */
    grantKey: text('grant_key'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    // The last guard against a double charge: one analysis_charge (and one refund) per memo.
    unique('credit_transactions_memo_reason_unique').on(t.memoUuid, t.reason),
    // One welcome grant per user, however often (or concurrently) the verification link is followed.
    unique('credit_transactions_user_grant_key_unique').on(t.userId, t.grantKey),
    check('credit_transactions_reason_check', sql`${t.reason} in (${inList(LEDGER_REASONS)})`),
    check('credit_transactions_amount_nonzero', sql`${t.amount} <> 0`),
    check('credit_transactions_balance_after_nonnegative', sql`${t.balanceAfter} >= 0`),
    index('credit_transactions_user_id_idx').on(t.userId, t.id.desc().nullsFirst()),
  ],
);

/** Stripe event ids already applied; webhooks are delivered at least once. */
export const stripeEvents = pgTable('stripe_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  processedAt: ts('processed_at').notNull().defaultNow(),
});
