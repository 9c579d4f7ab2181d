import { z } from 'zod';

/** The JSON report `pnpm eval` writes; `--compare` reads an earlier one back through this schema. */

const StepKeySchema = z.enum(['contract', 'obligations', 'price', 'allocation', 'recognition']);

const ScoreSchema = z.object({
  earned: z.number().nonnegative(),
  possible: z.number().nonnegative(),
  /** earned / possible, 0 when nothing was possible. */
  ratio: z.number().min(0).max(1),
});

const StepScoresSchema = z.object({
  contract: ScoreSchema,
  obligations: ScoreSchema,
  price: ScoreSchema,
  allocation: ScoreSchema,
  recognition: ScoreSchema,
});

export const FieldReportSchema = z.object({
  step: StepKeySchema,
  field: z.string().min(1),
  category: z.enum(['finding', 'citations', 'unknown']),
  points: z.number().positive(),
  earned: z.number().nonnegative(),
  passed: z.boolean(),
  invented: z.boolean(),
  why: z.string(),
});

const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  estimatedCostUsd: z.number().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
});

export const CaseReportSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  guidance: z.string(),
  status: z.enum(['scored', 'error']),
  /** Why the analysis produced no answer (status "error"), else null. */
  error: z.string().nullable(),
  score: ScoreSchema,
  steps: StepScoresSchema,
  inventedFacts: z.number().int().nonnegative(),
  /** Items the memo lists for the accountant (questions plus what the answer marked uncertain). */
  memoOpenItems: z.number().int().nonnegative(),
  /**
   * What the engine's checks flagged in the answers: allocations that do not foot, unknown
   * obligations, quotes not found (docs/memo.md). Absent in reports from before the checks.
   */
  checkFlags: z.number().int().nonnegative().default(0),
  fields: z.array(FieldReportSchema),
  usage: UsageSchema,
  durationMs: z.number().nonnegative(),
});

export const EvalReportSchema = z.object({
  schemaVersion: z.literal(1),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  model: z.string(),
  simulated: z.boolean(),
  /** The model server's origin, without credentials; null for the provider's default. */
  baseUrl: z.string().nullable(),
  concurrency: z.number().int().positive(),
  total: ScoreSchema,
  steps: StepScoresSchema,
  inventedFacts: z.number().int().nonnegative(),
  usage: UsageSchema,
  cases: z.array(CaseReportSchema),
});

export type Score = z.infer<typeof ScoreSchema>;
export type FieldReport = z.infer<typeof FieldReportSchema>;
export type CaseReport = z.infer<typeof CaseReportSchema>;
export type EvalReport = z.infer<typeof EvalReportSchema>;
export type Usage = z.infer<typeof UsageSchema>;

export function toScore(earned: number, possible: number): Score {
  return { earned, possible, ratio: possible === 0 ? 0 : earned / possible };
}
