import type { StepKey } from '../steps/schemas';

/**
 * Something code found wrong or unsupported in the model's answers. Flags never change an answer;
 * the memo lists them first among the open items and next to the finding, and they are stored
 * with the structured answers (docs/memo.md).
 */
export type FlagKind =
  | 'unknown_obligation'
  | 'missing_obligation'
  | 'allocation_does_not_foot'
  | 'allocation_differs_from_relative_ssp'
  | 'discount_differs'
  | 'price_does_not_add_up'
  | 'constraint_exceeds_estimate'
  | 'unknown_section'
  | 'quote_not_found'
  | 'no_evidence';

export interface Flag {
  kind: FlagKind;
  step: StepKey;
  message: string;
  /** For evidence flags: where in the step answer (e.g. "criteria.a.evidence[0]"). */
  path?: string;
}
