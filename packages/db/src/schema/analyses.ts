import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { user } from './auth';

/*
 * Table and column names are the original system's: its monitoring queries
 * (`SELECT analysis_id, status, final_charged_credits, error_message FROM analyses ORDER BY started_at DESC`)
 * must keep running unchanged.
 */

/** Mirrors @revmemo/contracts' ANALYSIS_STATUSES; db may not import contracts, and the CHECK below pins both. */
export const ANALYSIS_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export const quotes = pgTable(
  'quotes',
  {
    quoteId: uuid('quote_id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    textHash: text('text_hash').notNull(),
    wordCount: integer('word_count').notNull(),
    credits: integer('credits').notNull(),
    fileNames: jsonb('file_names').$type<string[]>().notNull().default([]),
    documentText: text('document_text').notNull(),
    additionalContext: text('additional_context'),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    // A zero-credit quote would need a hold-less path through submit and capture; pricing never makes one.
    check('quotes_credits_positive', sql`${t.credits} > 0`),
    check('quotes_word_count_nonnegative', sql`${t.wordCount} >= 0`),
    index('quotes_user_id_idx').on(t.userId),
  ],
);

export const analyses = pgTable(
  'analyses',
  {
    analysisId: uuid('analysis_id').primaryKey().defaultRandom(),
    memoUuid: uuid('memo_uuid').notNull().unique('analyses_memo_uuid_unique').defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => user.id, { onDelete: 'cascade' }),
    // Unique: a quote starts at most one analysis. Nulled if a quote is ever pruned; the analysis keeps copies.
    quoteId: uuid('quote_id')
      .unique('analyses_quote_id_unique')
      .references(() => quotes.quoteId, { onDelete: 'set null' }),
    status: text('status', { enum: ANALYSIS_STATUSES }).notNull().default('queued'),
    quotedCredits: integer('quoted_credits').notNull(),
    /** Null until terminal: the quote on success, 0 on failure or cancel. */
    finalChargedCredits: integer('final_charged_credits'),
    errorMessage: text('error_message'),
    memoContent: text('memo_content'),
    /**
     * The audit trail saved with the memo, in the same transaction: the step answers, what code
     * checked (flags, recomputed numbers), documents and prompt version (docs/memo.md). Null before.
     */
    structured: jsonb('structured'),
    /** Submission time (the original's name; its monitoring query orders by it). */
    startedAt: ts('started_at').notNull().defaultNow(),
    /** When a worker first picked it up. */
    runStartedAt: ts('run_started_at'),
    completedAt: ts('completed_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    progressStage: text('progress_stage').notNull().default('queued'),
    progressPercent: integer('progress_percent').notNull().default(0),
    progressMessage: text('progress_message').notNull().default(''),
    fileNames: jsonb('file_names').$type<string[]>().notNull().default([]),
    wordCount: integer('word_count').notNull(),
    documentText: text('document_text').notNull(),
    additionalContext: text('additional_context'),
    idempotencyKey: text('idempotency_key').notNull(),
    model: text('model'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    estimatedCostUsd: numeric('estimated_cost_usd', { precision: 12, scale: 6, mode: 'number' }),
    attempts: integer('attempts').notNull().default(0),
    /** Every model request made for this analysis, failed and retried ones included (true cost). */
    modelCalls: integer('model_calls').notNull().default(0),
    /** BullMQ's stalled counter of the job when the latest run began: a higher one means a worker died. */
    stallsSeen: integer('stalls_seen').notNull().default(0),
    /** Worker deaths in a row with no step finished in between; POISON_STALLS of them fail the analysis. */
    stallStreak: integer('stall_streak').notNull().default(0),
    /** How many steps were finished when the current streak began. */
    stallStreakSteps: integer('stall_streak_steps').notNull().default(0),
  },
  (t) => [
    unique('analyses_user_idempotency_key_unique').on(t.userId, t.idempotencyKey),
    // NULLS FIRST is what a plain `ORDER BY ... DESC` means, so the planner can walk this index for it.
    index('analyses_user_started_at_idx').on(
      t.userId,
      t.startedAt.desc().nullsFirst(),
      t.analysisId.desc().nullsFirst(),
    ),
    index('analyses_status_idx').on(t.status),
    check('analyses_status_check', sql`${t.status} in (${inList(ANALYSIS_STATUSES)})`),
    check('analyses_quoted_credits_positive', sql`${t.quotedCredits} > 0`),
    check('analyses_final_charged_nonnegative', sql`${t.finalChargedCredits} >= 0`),
    check('analyses_progress_percent_range', sql`${t.progressPercent} between 0 and 100`),
  ],
);

/**
 * Durable steps: each model step's validated answer, saved before the next step starts. A re-run of
 * the job (retry, stall, hand-back) starts at the first step missing here; finished steps are never
 * sent to the model again. Written only by the run that owns the analysis (fenced by `attempt`) and
 * never overwritten. See docs/durable-steps.md.
 */
export const analysisSteps = pgTable(
  'analysis_steps',
  {
    analysisId: uuid('analysis_id')
      .notNull()
      .references(() => analyses.analysisId, { onDelete: 'cascade' }),
    step: text('step').notNull(),
    /** The step's answer after validation and citation checks: what later steps and the memo use. */
    result: jsonb('result').notNull(),
    /** Evidence naming sections that do not exist: kept in `result` and flagged in the memo (docs/memo.md). */
    droppedCitations: integer('dropped_citations').notNull().default(0),
    model: text('model').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    /** Requests this step took in the run that finished it (repairs and in-step retries included). */
    modelCalls: integer('model_calls').notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** The analysis attempt (run) that wrote it. */
    attempt: integer('attempt').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.analysisId, t.step] })],
);
