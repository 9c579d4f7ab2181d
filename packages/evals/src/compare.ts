import type { EvalReport } from './report';

/** What changed between an earlier report and this one, case by case and field by field. */
export interface CaseChange {
  id: string;
  before: number | null;
  after: number | null;
  /** Fields that failed before and pass now, and the other way round. */
  fixed: string[];
  broken: string[];
}

export interface Comparison {
  better: CaseChange[];
  worse: CaseChange[];
  unchanged: CaseChange[];
  added: string[];
  removed: string[];
  totalBefore: number;
  totalAfter: number;
  steps: { step: string; before: number; after: number }[];
}

export function compareReports(before: EvalReport, after: EvalReport): Comparison {
  const old = new Map(before.cases.map((c) => [c.id, c]));
  const now = new Map(after.cases.map((c) => [c.id, c]));
  const out: Comparison = {
    better: [],
    worse: [],
    unchanged: [],
    added: after.cases.filter((c) => !old.has(c.id)).map((c) => c.id),
    removed: before.cases.filter((c) => !now.has(c.id)).map((c) => c.id),
    totalBefore: before.total.ratio,
    totalAfter: after.total.ratio,
    steps: (Object.keys(after.steps) as (keyof EvalReport['steps'])[]).map((step) => ({
      step,
      before: before.steps[step].ratio,
      after: after.steps[step].ratio,
    })),
  };
  for (const c of after.cases) {
    const prev = old.get(c.id);
    if (!prev) continue;
    const passedBefore = new Map(prev.fields.map((f) => [f.field, f.passed]));
    const fixed = c.fields.filter((f) => f.passed && passedBefore.get(f.field) === false).map((f) => f.field);
    const broken = c.fields
      .filter((f) => !f.passed && passedBefore.get(f.field) === true)
      .map((f) => f.field);
    const change: CaseChange = { id: c.id, before: prev.score.ratio, after: c.score.ratio, fixed, broken };
    const delta = c.score.ratio - prev.score.ratio;
    if (Math.abs(delta) < 1e-9) out.unchanged.push(change);
    else (delta > 0 ? out.better : out.worse).push(change);
  }
  return out;
}
