import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { AnalysisNotFoundError } from '../errors';
import type { AnalysisRow, AnalysisSummary } from '../rows';
import {
  type AnalysisStatus,
  analyses,
  creditAccounts,
  creditHolds,
  creditTransactions,
} from '../schema/index';
import { analysisSummaryColumns } from './analyses';
import { listSteps, type StoredStep } from './steps';
import { isUuid } from './util';

const ACTIVE: AnalysisStatus[] = ['queued', 'running'];
const isActive = (s: AnalysisStatus) => ACTIVE.includes(s);

export interface RunStart {
  /** The analysis, now `running`, with this run's attempt number in `attempts`. */
  analysis: AnalysisRow;
  /** Steps a previous run finished, in pipeline order: this run starts after them. */
  steps: StoredStep[];
  /**
   * Worker deaths in a row with no step finished in between, this start included when it follows a
   * death. The caller compares it with its poison threshold before calling the model.
   */
  stallStreak: number;
  /** True when the previous run of this job died (BullMQ's stalled counter went up). */
  afterWorkerDeath: boolean;
}

/**
 * A worker picked the job up. Queued or running (a retry after a crash) becomes running; the
 * attempt is counted. `stalledCounter` is BullMQ's count of worker deaths for the job: when it went
 * up since the last run, the death is added to the streak unless a step was finished since the
 * streak began (a run that got further starts a fresh budget). Null when the analysis is terminal
 * or unknown: the job has nothing to do.
 */
export async function beginRun(
  db: Db,
  analysisId: string,
  opts: { stalledCounter?: number } = {},
): Promise<RunStart | null> {
  if (!isUuid(analysisId)) return null;
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({
        status: analyses.status,
        stallsSeen: analyses.stallsSeen,
        stallStreak: analyses.stallStreak,
        stallStreakSteps: analyses.stallStreakSteps,
      })
      .from(analyses)
      .where(eq(analyses.analysisId, analysisId))
      .for('update');
    if (!current || !isActive(current.status)) return null;
    const steps = await listSteps(tx, analysisId);
    const stalls = opts.stalledCounter ?? current.stallsSeen;
    const afterWorkerDeath = stalls > current.stallsSeen;
    let { stallStreak, stallStreakSteps } = current;
    if (afterWorkerDeath) {
      const sameStep = stallStreak > 0 && stallStreakSteps === steps.length;
      stallStreak = sameStep ? stallStreak + (stalls - current.stallsSeen) : stalls - current.stallsSeen;
      stallStreakSteps = steps.length;
    } else if (steps.length > stallStreakSteps) {
      stallStreak = 0; // progress since the last death: the next death starts a new streak
    }
    const [row] = await tx
      .update(analyses)
      .set({
        status: 'running',
        runStartedAt: sql`coalesce(${analyses.runStartedAt}, now())`,
        attempts: sql`${analyses.attempts} + 1`,
        updatedAt: sql`now()`,
        stallsSeen: Math.max(stalls, current.stallsSeen),
        stallStreak,
        stallStreakSteps,
      })
      .where(eq(analyses.analysisId, analysisId))
      .returning();
    if (!row) return null;
    return { analysis: row, steps, stallStreak, afterWorkerDeath };
  });
}

/** beginRun without the stall bookkeeping, for callers that only need the running row. */
export async function markRunning(db: Db, analysisId: string): Promise<AnalysisRow | null> {
  return (await beginRun(db, analysisId))?.analysis ?? null;
}

export interface ProgressUpdate {
  stage: string;
  percent: number;
  message: string;
  /**
   * The run's attempt number (from markRunning). A run whose job was taken over after a stall
   * writes nothing and learns it should stop: the newer attempt owns the analysis.
   */
  attempt?: number;
}

/** Saves the progress snapshot; false once the analysis is no longer running (a late write is dropped). */
export async function updateProgress(db: Db, analysisId: string, p: ProgressUpdate): Promise<boolean> {
  if (!isUuid(analysisId)) return false;
  const percent = Math.max(0, Math.min(100, Math.round(p.percent)));
  const rows = await db
    .update(analyses)
    .set({
      progressStage: p.stage,
      progressPercent: percent,
      progressMessage: p.message,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(analyses.analysisId, analysisId),
        eq(analyses.status, 'running'),
        p.attempt === undefined ? undefined : eq(analyses.attempts, p.attempt),
      ),
    )
    .returning({ analysisId: analyses.analysisId });
  return rows.length > 0;
}

export interface ModelUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimatedCostUsd: number;
}

export interface CaptureInput {
  analysisId: string;
  memoContent: string;
  /** The structured answers behind the memo (the audit trail), saved with it. */
  structured?: unknown;
  /**
   * Charge less than the quote (never more): a memo that ends at step 1 because no contract
   * exists yet costs a fifth (docs/memo.md). The whole hold is released either way.
   */
  chargeCredits?: number;
  usage?: ModelUsage | null;
}

/** Locks the analysis row; the lock order everywhere is analysis -> hold -> account. */
async function lockAnalysis(tx: Db, analysisId: string) {
  if (!isUuid(analysisId)) throw new AnalysisNotFoundError(analysisId);
  const [row] = await tx
    .select({
      analysisId: analyses.analysisId,
      memoUuid: analyses.memoUuid,
      userId: analyses.userId,
      status: analyses.status,
      quotedCredits: analyses.quotedCredits,
      attempts: analyses.attempts,
    })
    .from(analyses)
    .where(eq(analyses.analysisId, analysisId))
    .for('update');
  if (!row) throw new AnalysisNotFoundError(analysisId);
  return row;
}

/**
 * Success: saves the memo and charges the quoted credits exactly once, in ONE transaction. A second
 * capture (a redelivered job, a race with cancel) finds the row terminal and writes nothing.
 */
export async function captureAnalysis(db: Db, input: CaptureInput): Promise<'captured' | 'already-terminal'> {
  return db.transaction(async (tx) => {
    const a = await lockAnalysis(tx, input.analysisId);
    if (!isActive(a.status)) return 'already-terminal';
    const price =
      input.chargeCredits === undefined
        ? a.quotedCredits
        : Math.max(1, Math.min(a.quotedCredits, Math.ceil(input.chargeCredits)));

    await tx
      .update(analyses)
      .set({
        status: 'completed',
        memoContent: input.memoContent,
        ...(input.structured !== undefined && { structured: input.structured }),
        finalChargedCredits: price,
        completedAt: sql`now()`,
        updatedAt: sql`now()`,
        progressStage: 'done',
        progressPercent: 100,
        progressMessage: 'Done',
        // Without `usage` the totals recordModelCall kept while the analysis ran stay as they are.
        ...(input.usage && {
          model: input.usage.model,
          promptTokens: input.usage.promptTokens,
          completionTokens: input.usage.completionTokens,
          estimatedCostUsd: input.usage.estimatedCostUsd,
        }),
      })
      .where(eq(analyses.analysisId, a.analysisId));

    const [hold] = await tx
      .update(creditHolds)
      .set({ status: 'captured', closedAt: sql`now()` })
      .where(and(eq(creditHolds.memoUuid, a.memoUuid), eq(creditHolds.status, 'open')))
      .returning({ amount: creditHolds.amount });

    const [account] = await tx
      .select({ balance: creditAccounts.balance })
      .from(creditAccounts)
      .where(eq(creditAccounts.userId, a.userId))
      .for('update');
    if (!account) throw new Error(`credit account for ${a.userId} missing while capturing ${a.analysisId}`);

    const [charge] = await tx
      .insert(creditTransactions)
      .values({
        userId: a.userId,
        memoUuid: a.memoUuid,
        reason: 'analysis_charge',
        amount: -price,
        balanceAfter: account.balance - price,
        description: `ASC 606 analysis ${a.analysisId}`,
      })
      // The last guard: if a charge for this memo somehow exists, it is not charged again.
      .onConflictDoNothing({ target: [creditTransactions.memoUuid, creditTransactions.reason] })
      .returning({ id: creditTransactions.id });

    const charged = charge ? price : 0;
    const released = hold?.amount ?? 0;
    await tx
      .update(creditAccounts)
      .set({
        balance: sql`${creditAccounts.balance} - ${charged}`,
        held: sql`${creditAccounts.held} - ${released}`,
        updatedAt: sql`now()`,
      })
      .where(eq(creditAccounts.userId, a.userId));
    return 'captured';
  });
}

export interface ReleaseInput {
  analysisId: string;
  status: 'failed' | 'canceled';
  errorMessage: string;
  /** Fences a worker's release to its own run (see ProgressUpdate.attempt); a cancel leaves it unset. */
  attempt?: number;
}

/** Failure or cancel: nothing is charged; the hold is released in ONE transaction. No ledger row. */
export async function releaseAnalysis(
  db: Db,
  input: ReleaseInput,
): Promise<'released' | 'already-terminal' | 'superseded'> {
  return db.transaction(async (tx) => {
    const a = await lockAnalysis(tx, input.analysisId);
    if (!isActive(a.status)) return 'already-terminal';
    // A stale run (its job stalled and was re-run) must not fail the analysis the newer run is completing.
    if (input.attempt !== undefined && a.attempts !== input.attempt) return 'superseded';

    await tx
      .update(analyses)
      .set({
        status: input.status,
        errorMessage: input.errorMessage,
        finalChargedCredits: 0,
        completedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(analyses.analysisId, a.analysisId));

    const [hold] = await tx
      .update(creditHolds)
      .set({ status: 'released', closedAt: sql`now()` })
      .where(and(eq(creditHolds.memoUuid, a.memoUuid), eq(creditHolds.status, 'open')))
      .returning({ amount: creditHolds.amount });
    if (hold) {
      await tx
        .update(creditAccounts)
        .set({ held: sql`${creditAccounts.held} - ${hold.amount}`, updatedAt: sql`now()` })
        .where(eq(creditAccounts.userId, a.userId));
    }
    return 'released';
  });
}

/** For the sweeper: queued analyses submitted before `before` (their job may have been lost), oldest first. */
export async function listQueuedOlderThan(db: Db, before: Date, limit = 100): Promise<AnalysisSummary[]> {
  return db
    .select(analysisSummaryColumns)
    .from(analyses)
    .where(and(eq(analyses.status, 'queued'), lt(analyses.startedAt, before)))
    .orderBy(asc(analyses.startedAt))
    .limit(limit);
}

/** For the sweeper and ops: every running analysis, oldest activity first. */
export async function listRunning(db: Db, limit = 1000): Promise<AnalysisSummary[]> {
  return db
    .select(analysisSummaryColumns)
    .from(analyses)
    .where(eq(analyses.status, 'running'))
    .orderBy(asc(analyses.updatedAt))
    .limit(limit);
}

/** Status of each analysis in `ids` that exists (the per-user gate's reconcile checks hundreds at once). */
export async function listStatuses(
  db: Db,
  ids: string[],
): Promise<{ analysisId: string; status: AnalysisStatus }[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return db
    .select({ analysisId: analyses.analysisId, status: analyses.status })
    .from(analyses)
    .where(inArray(analyses.analysisId, valid));
}
