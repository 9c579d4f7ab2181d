export { CASES } from './cases';
export { type CaseChange, type Comparison, compareReports } from './compare';
export { renderComparison, renderSummary, renderTable } from './format';
export {
  type CaseReport,
  CaseReportSchema,
  type EvalReport,
  EvalReportSchema,
  type FieldReport,
  FieldReportSchema,
} from './report';
export { countOpenItems, type ModelTarget, type ProgressUpdate, type RunOptions, runEval } from './run';
export { type CaseScore, type FieldResult, matchObligations, normalizeWords, scoreCase } from './score';
export { type EvalSettings, readEvalSettings, SettingsError } from './settings';
export type { EvalCase, ExpectedAnswer, ExpectedObligation, ExpectedUnknown } from './types';
