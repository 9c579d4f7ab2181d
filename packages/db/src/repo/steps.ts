import { asc, eq, sql } from 'drizzle-orm';
import { type Db, executePrepared, type Tx } from '../client';
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
    return insertStep(tx, c);
  });
}

/** The progress snapshot of the stage that follows a finished step. */
export interface NextStageProgress {
  stage: string;
  percent: number;
  message: string;
}

/**
 * A finished step and the next stage's progress snapshot in one statement (one round trip, one
 * commit): the worker's path from a model answer to the next progress event (docs/durable-steps.md).
 * The fenced UPDATE locks the row like saveStep's FOR SHARE (a newer run cannot begin before this
 * commits), and the step is inserted only through the row it returned: a stale run writes nothing.
 */
export async function saveStepWithProgress(
  db: Db,
  c: StepCheckpoint,
  next: NextStageProgress,
): Promise<'saved' | 'exists' | 'superseded'> {
  if (!isUuid(c.analysisId)) return 'superseded';
  const percent = Math.max(0, Math.min(100, Math.round(next.percent)));
  const [row] = await executePrepared<{ owned: number; inserted: number }>(
    db,
    sql`
    WITH owner AS (
      UPDATE analyses
      SET progress_stage = ${next.stage}, progress_percent = ${percent},
          progress_message = ${next.message}, updated_at = now()
      WHERE analysis_id = ${c.analysisId} AND status = 'running' AND attempts = ${c.attempt}
      RETURNING analysis_id
    ), inserted AS (
      INSERT INTO analysis_steps (analysis_id, step, result, dropped_citations, model, prompt_tokens,
                                  completion_tokens, model_calls, duration_ms, attempt)
      SELECT analysis_id, ${c.step}, ${JSON.stringify(c.result)}::jsonb, ${c.droppedCitations}, ${c.model},
             ${c.promptTokens}, ${c.completionTokens}, ${c.modelCalls}, ${Math.round(c.durationMs)}, ${c.attempt}
      FROM owner
      ON CONFLICT (analysis_id, step) DO NOTHING
      RETURNING step
    )
    SELECT (SELECT count(*) FROM owner)::int AS owned, (SELECT count(*) FROM inserted)::int AS inserted`,
  );
  if (!row?.owned) return 'superseded';
  return row.inserted > 0 ? 'saved' : 'exists';
}

async function insertStep(tx: Tx, c: StepCheckpoint): Promise<'saved' | 'exists'> {
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
  // Prepared (executePrepared): it runs beside every model answer, on the worker's shared cores.
  const update = db
    .update(analyses)
    .set({
      modelCalls: sql`${analyses.modelCalls} + 1`,
      model: call.model,
      promptTokens: sql`coalesce(${analyses.promptTokens}, 0) + ${call.promptTokens}`,
      completionTokens: sql`coalesce(${analyses.completionTokens}, 0) + ${call.completionTokens}`,
      estimatedCostUsd: sql`coalesce(${analyses.estimatedCostUsd}, 0) + ${call.estimatedCostUsd}`,
    })
    .where(eq(analyses.analysisId, analysisId));
  await executePrepared(db, update.getSQL());
}
