import type { RecognitionStep, StepKey } from '@revmemo/engine';

/**
 * One evaluation case: a contract written for this project, modelled on an ASC 606 illustrative
 * example or a common pattern, with the answer a revenue-recognition specialist expects, in the
 * shape of the pipeline's step schemas.
 */
export interface EvalCase {
  /** Stable id used in reports and `--compare` (kebab-case). */
  id: string;
  title: string;
  /** The guidance the expected answer rests on, e.g. "ASC 606-10-55-141 to 55-145 (Example 11, Case A)". */
  guidance: string;
  /** Why the expected answer is right, in a few sentences. */
  rationale: string;
  /** The contract text, exactly as a user would upload it. */
  contract: string;
  expected: ExpectedAnswer;
}

type Pattern = 'over_time' | 'point_in_time';
type MeasureOfProgress = RecognitionStep['recognition'][number]['measureOfProgress'];

export interface ExpectedObligation {
  /** Short stable key; the scorer's field names use it ("obligations.po:licence"). */
  key: string;
  /** What the obligation is, in words. */
  description: string;
  /**
   * Lower-case words or phrases; an answer's obligation (its description plus the descriptions of
   * the promised items it groups) is this one when it contains any of them.
   */
  aliases: string[];
  /** Clause labels of the contract that establish the promise ("2.1"). */
  clauses: string[];
  /** When set, the answer's series flag (ASC 606-10-25-14(b)) must equal it. */
  series?: boolean;
  /** Transaction price allocated to it; null when the contract alone does not determine it. */
  allocated: number | null;
  /**
   * Acceptable recognition answers. `measures` lists the acceptable measures of progress for an
   * over-time pattern ([] = any); point in time needs none.
   */
  timing: { pattern: Pattern; measures: MeasureOfProgress[] }[];
}

/**
 * Something the contract does not say, so the answer must not state it: marking collectibility
 * met with nothing in the contract to support it, or leaving out a question the preparer must
 * answer, counts as an invented fact.
 */
export type ExpectedUnknown =
  | { kind: 'collectibility' }
  | {
      kind: 'question';
      key: string;
      /** The step whose field carries the point. */
      step: StepKey;
      /** The question a specialist would ask, in words (also used for hand-made answers). */
      about: string;
      /** Lower-case words; an open question (any step) containing one of them asks it. */
      keywords: string[];
    };

export interface ExpectedAnswer {
  contract: {
    /** Whether a contract exists under ASC 606-10-25-1 (no criterion is not met). */
    exists: boolean;
    /** Lower-case name fragments of the vendor and the customer. */
    vendor: string[];
    customer: string[];
  };
  obligations: ExpectedObligation[];
  /**
   * Aliases of items that may appear as an obligation of their own without counting as an
   * unexpected one (a reasonable alternative split, e.g. updates and support as two).
   */
  alsoAcceptable?: string[];
  price: {
    /** Acceptable transaction prices; null when it is not determinable at contract inception. */
    transactionPrice: number[] | null;
    variable: {
      present: boolean;
      /** Acceptable magnitudes of the estimate, when the contract determines one. */
      amounts?: number[];
    };
    financing?: 'yes' | 'no';
    payableToCustomer?: 'yes' | 'no';
  };
  unknowns: ExpectedUnknown[];
  /** Relative tolerance for amounts; default 0.005 (half a percent). */
  tolerance?: number;
}
