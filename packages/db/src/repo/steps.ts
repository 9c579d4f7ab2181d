import { asc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { analyses, analysisSteps } from '../schema/index';
import { isUuid } from './util';

export type StoredStep = typeof analysisSteps.$inferSelect;

export interface StepCheckpoint {
  analysisId: string;
  /** The run that finished the step (RunStart.analysis.attempts). */
  attempt: number;
  step: string;
  result: unknown;
  droppedCitations: number;
  model: string;
  promptTokens: number;
  completionTokens: number;
  modelCalls: number;
  durationMs: number;
}

/** Finished steps of an analysis, oldest first (pipeline order: each is written before the next starts). */
export async function listSteps(db: Db | Tx, analysisId: string): Promise<StoredStep[]> {
  if (!isUuid(analysisId)) return [];
  return db
    .select()
    .from(analysisSteps)
    .where(eq(analysisSteps.analysisId, analysisId))
    .orderBy(asc(analysisSteps.createdAt));
}

/**
 * Saves a finished step. Fenced like every write of a run: only the run that owns the analysis (same
 * attempt, still running) may add a step, and a saved step is never replaced. 'superseded' tells a
 * stale run (its job was taken over) to stop; 'exists' means the step was already saved.
 */
export async function saveStep(db: Db, c: StepCheckpoint): Promise<'saved' | 'exists' | 'superseded'> {
  if (!isUuid(c.analysisId)) return 'superseded';
  return db.transaction(async (tx) => {
    // FOR SHARE blocks a concurrent beginRun (which updates the row) until this commits, so a newer
    // run cannot start between the check and the insert.
    const [owner] = await tx
      .select({ status: analyses.status, attempts: analyses.attempts })
      .from(analyses)
      .where(eq(analyses.analysisId, c.analysisId))
      .for('share');
    if (owner?.status !== 'running' || owner.attempts !== c.attempt) return 'superseded';
    const inserted = await tx
      .insert(analysisSteps)
      .values({
        analysisId: c.analysisId,
        step: c.step,
        result: c.result,
        droppedCitations: c.droppedCitations,
        model: c.model,
        promptTokens: c.promptTokens,
        completionTokens: c.completionTokens,
        modelCalls: c.modelCalls,
        durationMs: Math.round(c.durationMs),
        attempt: c.attempt,
      })
      .onConflictDoNothing({ target: [analysisSteps.analysisId, analysisSteps.step] })
      .returning({ step: analysisSteps.step });
    return inserted.length > 0 ? 'saved' : 'exists';
  });
}

export interface ModelCallRecord {
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimatedCostUsd: number;
}

/**
 * Adds one model request to the analysis's totals, whatever its outcome and whichever run made it:
 * the spend is real even when the answer is thrown away (a failed try, a run cut short).
 */
export async function recordModelCall(db: Db, analysisId: string, call: ModelCallRecord): Promise<void> {
  if (!isUuid(analysisId)) return;
  await db
    .update(analyses)
    .set({
      modelCalls: sql`${analyses.modelCalls} + 1`,
      model: call.model,
      promptTokens: sql`coalesce(${analyses.promptTokens}, 0) + ${call.promptTokens}`,
      completionTokens: sql`coalesce(${analyses.completionTokens}, 0) + ${call.completionTokens}`,
      estimatedCostUsd: sql`coalesce(${analyses.estimatedCostUsd}, 0) + ${call.estimatedCostUsd}`,
    })
    .where(eq(analyses.analysisId, analysisId));
}
