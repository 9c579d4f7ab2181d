import type { PipelineStage } from '@revmemo/contracts';
import { z } from 'zod';
import { type JsonSchema, toStrictJsonSchema } from './strict-schema';

/**
 * The five structured answers, one per ASC 606 step. Strict mode forbids optional fields, so
 * "unknown" is always an explicit null / 'unclear' plus an open question, never an omission.
 * Every object puts the facts and evidence first, then the analysis, then the conclusion: the
 * model writes in schema order, so it reasons before it commits (docs/memo.md).
 */

const evidence = z
  .array(
    z.object({
      sectionId: z
        .string()
        .describe('Id of the section quoted, exactly as in brackets ("S4", "D2.S4", "N1")'),
      quote: z
        .string()
        .describe('Words copied verbatim from that section (a phrase or sentence, at most about 40 words)'),
    }),
  )
  .describe(
    'The contract text this finding rests on: each item quotes a section verbatim; [] only when nothing in the documents applies',
  );
const assumptions = z
  .array(z.string())
  .describe('Facts this step assumes that the documents do not state (each one a reviewer must confirm)');
const openQuestions = z
  .array(z.string())
  .describe(
    'Questions for the preparer where the contract is silent or ambiguous on this step; never guess instead',
  );
const conclusion = z.string().describe('The conclusion for this step in one to three sentences');
const status = z
  .enum(['met', 'not_met', 'unclear'])
  .describe('"unclear" also means: needs information from outside the documents');
const presence = z.enum(['yes', 'no', 'unclear']);
const assessment = z.object({ evidence, analysis: z.string() });
const presenceAssessment = z.object({ evidence, analysis: z.string(), present: presence });

const criterion = z.object({ evidence, rationale: z.string(), status });

/** A judgement that can turn on facts outside the contract: "needs_information" is always allowed. */
const judgement = (question: string) =>
  z
    .object({
      evidence,
      facts: z.string().describe('What the documents (and the preparer note) say that bears on it'),
      analysis: z.string(),
      conclusion: z.enum(['applies', 'does_not_apply', 'needs_information']),
    })
    .describe(question);

export const ContractStepSchema = z.object({
  parties: z.array(z.object({ evidence, name: z.string(), role: z.enum(['vendor', 'customer', 'other']) })),
  term: z.object({
    evidence,
    description: z.string(),
    startDate: z.string().nullable().describe('As written in the contract, or null if not stated'),
    endDate: z.string().nullable(),
    durationMonths: z.number().nullable().describe('The stated term in months, before termination rights'),
    renewalAndTermination: z.string().nullable(),
    terminationForConvenience: z
      .enum(['none', 'customer_without_penalty', 'customer_with_substantive_penalty', 'unclear'])
      .describe(
        'ASC 606-10-25-3: a customer right to terminate without a substantive penalty shortens the term',
      ),
    enforceableTermMonths: z
      .number()
      .nullable()
      .describe(
        'The period in which the parties have enforceable rights and obligations, or null if unclear',
      ),
  }),
  criteria: z
    .object({
      a: criterion.describe('ASC 606-10-25-1(a): approved and the parties are committed'),
      b: criterion.describe("(b): each party's rights regarding the goods or services are identifiable"),
      c: criterion.describe('(c): payment terms are identifiable'),
      d: criterion.describe(
        '(d): the contract has commercial substance; "unclear" unless the documents or the preparer note give the facts',
      ),
      e: criterion.describe(
        '(e): collection of substantially all consideration is probable; "unclear" unless the documents or the preparer note give evidence of the customer\'s ability and intention to pay',
      ),
    })
    .describe('The five existence criteria of ASC 606-10-25-1'),
  combination: assessment.describe('Whether this contract must be combined with others (ASC 606-10-25-9)'),
  modifications: z
    .array(
      z.object({
        evidence,
        document: z.string().describe('The amendment, change order or later order form (its name or id)'),
        analysis: z.string(),
        treatment: z.enum([
          'separate_contract_25_12',
          'termination_and_new_contract_25_13a',
          'cumulative_catch_up_25_13b',
          'mixed_25_13c',
          'needs_information',
        ]),
      }),
    )
    .describe(
      'Each amendment or later document that changes scope or price, as a contract modification (25-10 to 25-13)',
    ),
  modificationTerms: assessment.describe('How the contract says future changes are agreed'),
  assumptions,
  openQuestions,
  outcome: z
    .enum(['contract_exists', 'no_contract_yet', 'needs_information'])
    .describe(
      '"no_contract_yet" only when a criterion of 25-1 is clearly not met (25-6/25-7: for example unsigned, or collection not probable); the analysis then stops here',
    ),
  conclusion,
});

const seriesCriterion = z.object({ rationale: z.string(), status });

export const ObligationsStepSchema = z.object({
  promisedGoodsOrServices: z.array(
    z.object({ evidence, id: z.string().describe('G1, G2, ...'), description: z.string() }),
  ),
  performanceObligations: z.array(
    z.object({
      evidence,
      id: z.string().describe('PO1, PO2, ...'),
      description: z.string(),
      promisedItemIds: z.array(z.string()),
      capableOfBeingDistinct: z
        .object({ evidence, rationale: z.string(), status })
        .describe('ASC 606-10-25-19(a)'),
      distinctInContext: z
        .object({ evidence, rationale: z.string(), status })
        .describe('ASC 606-10-25-19(b) and 25-21'),
      series: z
        .object({
          substantiallyTheSame: seriesCriterion.describe(
            'distinct goods or services that are substantially the same',
          ),
          satisfiedOverTime: seriesCriterion.describe('each would be satisfied over time (25-27)'),
          sameMeasureOfProgress: seriesCriterion.describe('the same measure of progress would apply (25-15)'),
          conclusion: z.enum(['applies', 'does_not_apply', 'unclear']),
        })
        .describe('Series guidance of ASC 606-10-25-14(b) and 25-15'),
      natureOfPromise: z
        .enum([
          'hosted_service',
          'functional_ip_licence',
          'symbolic_ip_licence',
          'goods',
          'professional_services',
          'stand_ready',
          'other',
        ])
        .describe(
          'Licence v hosted service (985-20-15-5, 606-10-55-54+); functional v symbolic IP (55-59 to 55-64)',
        ),
    }),
  ),
  judgements: z.object({
    materialRights: judgement(
      'Customer options (renewal or additional purchases at a discount) that give a material right (606-10-55-41 to 55-45)',
    ),
    principalVersusAgent: judgement(
      'Goods or services another party provides (pass-through fees, re-billed expenses): principal or agent (55-36 to 55-40)',
    ),
    setupFees: judgement(
      'Upfront or setup fees: a promise of their own, or an advance payment (55-50 to 55-53)',
    ),
    warranty: judgement('A service-type warranty that is a performance obligation (55-30 to 55-35)'),
    rightOfReturn: judgement('A right of return or refund (55-22 to 55-29)'),
    breakage: judgement("Customer's unexercised rights, prepaid amounts that may go unused (55-46 to 55-49)"),
    usageBasedRoyalty: judgement('Sales- or usage-based royalty on a licence of IP (55-65)'),
    contractCosts: judgement(
      'Incremental costs of obtaining the contract, e.g. commissions, or fulfilment costs (340-40)',
    ),
  }),
  assumptions,
  openQuestions,
  conclusion,
});

const amount = z.number().nullable().describe('Amount in the contract currency, or null if not determinable');

export const PriceStepSchema = z.object({
  currency: z.string().nullable().describe('ISO code such as "USD", or null if not stated'),
  fixedConsideration: z.array(z.object({ evidence, description: z.string(), amount })),
  variableConsideration: z
    .array(
      z.object({
        evidence,
        description: z.string(),
        estimationMethod: z.enum(['expected_value', 'most_likely_amount', 'not_estimated']),
        unconstrainedEstimate: amount.describe('The estimate before the constraint (32-5 to 32-9)'),
        constraintAnalysis: z.string().describe('ASC 606-10-32-11 and 32-12'),
        constrainedAmount: amount.describe('What is included in the transaction price after the constraint'),
        treatment: z
          .enum([
            'estimated_in_price',
            'allocated_to_distinct_period_32_40',
            'right_to_invoice_expedient',
            'usage_based_royalty_55_65',
            'needs_information',
          ])
          .describe('The last three recognise the amount as it arises instead of estimating it up front'),
      }),
    )
    .describe('Consideration that is truly variable; a fixed discount or a fixed fee is not variable'),
  significantFinancing: presenceAssessment,
  noncashConsideration: presenceAssessment,
  considerationPayableToCustomer: presenceAssessment,
  transactionPrice: z.object({ evidence, description: z.string(), amount }),
  assumptions,
  openQuestions,
  conclusion,
});

/** Step 4 and 5 rows name step 2's obligations; the enum is filled in per analysis (`stepsAfter`). */
const allocationSchema = (poId: z.ZodType<string>) =>
  z.object({
    allocations: z.array(
      z.object({
        evidence,
        performanceObligationId: poId,
        sspBasis: z.enum([
          'observable_price',
          'adjusted_market_assessment',
          'expected_cost_plus_margin',
          'residual',
          'not_determinable',
        ]),
        rationale: z.string(),
        standaloneSellingPrice: amount,
        allocatedAmount: amount,
      }),
    ),
    discount: z.object({ evidence, analysis: z.string(), present: presence, amount }),
    variableConsiderationAllocation: assessment.describe('ASC 606-10-32-39 to 32-41'),
    assumptions,
    openQuestions,
    conclusion,
  });

const recognitionSchema = (poId: z.ZodType<string>) =>
  z.object({
    recognition: z.array(
      z.object({
        evidence,
        performanceObligationId: poId,
        rationale: z.string(),
        pattern: z.enum(['over_time', 'point_in_time', 'unclear']),
        overTimeCriterion: z.enum([
          'simultaneous_receipt_and_consumption',
          'customer_controls_asset_as_created',
          'no_alternative_use_with_right_to_payment',
          'not_applicable',
        ]),
        measureOfProgress: z.enum([
          'time_elapsed',
          'output_method',
          'input_method',
          'right_to_invoice',
          'not_applicable',
        ]),
        timing: z.string().describe('When revenue is recognized, in words'),
        startMonth: z
          .number()
          .nullable()
          .describe('Month of the contract term in which recognition starts (1 = first), or null'),
        endMonth: z.number().nullable().describe('Month in which recognition ends, or null'),
      }),
    ),
    assumptions,
    openQuestions,
    conclusion,
  });

export const AllocationStepSchema = allocationSchema(z.string());
export const RecognitionStepSchema = recognitionSchema(z.string());

export type ContractStep = z.infer<typeof ContractStepSchema>;
export type ObligationsStep = z.infer<typeof ObligationsStepSchema>;
export type PriceStep = z.infer<typeof PriceStepSchema>;
export type AllocationStep = z.infer<typeof AllocationStepSchema>;
export type RecognitionStep = z.infer<typeof RecognitionStepSchema>;

export interface StepResults {
  contract: ContractStep;
  obligations: ObligationsStep;
  price: PriceStep;
  allocation: AllocationStep;
  recognition: RecognitionStep;
}
export type StepKey = keyof StepResults;

export interface StepDefinition<K extends StepKey = StepKey> {
  key: K;
  stage: Extract<PipelineStage, K>;
  /** The json_schema.name sent to the model; the simulator dispatches on it. */
  name: string;
  title: string;
  schema: z.ZodType<StepResults[K]>;
  jsonSchema: JsonSchema;
}

function define<K extends StepKey>(
  key: K,
  name: string,
  title: string,
  schema: z.ZodType<StepResults[K]>,
): StepDefinition<K> {
  return {
    key,
    stage: key as Extract<PipelineStage, K>,
    name,
    title,
    schema,
    jsonSchema: toStrictJsonSchema(schema, name),
  };
}

const NAMES = {
  allocation: 'asc606_step4_allocation',
  recognition: 'asc606_step5_recognition',
} as const;
const TITLES = {
  allocation: 'Step 4: Allocate the transaction price',
  recognition: 'Step 5: Recognize revenue',
} as const;

/** In pipeline order; each step sees the results of the ones before it. */
export const STEPS = [
  define('contract', 'asc606_step1_contract', 'Step 1: Identify the contract', ContractStepSchema),
  define(
    'obligations',
    'asc606_step2_performance_obligations',
    'Step 2: Identify the performance obligations',
    ObligationsStepSchema,
  ),
  define(
    'price',
    'asc606_step3_transaction_price',
    'Step 3: Determine the transaction price',
    PriceStepSchema,
  ),
  define('allocation', NAMES.allocation, TITLES.allocation, AllocationStepSchema),
  define('recognition', NAMES.recognition, TITLES.recognition, RecognitionStepSchema),
] as const;

export const STEP_NAMES = STEPS.map((s) => s.name);

/**
 * The step definition sent for one analysis: steps 4 and 5 only accept the obligation ids step 2
 * found, so a row cannot name an obligation that was never identified. Same names as STEPS, so
 * the simulator and the evals dispatch the same way.
 */
export function stepFor(key: StepKey, obligations: ObligationsStep | undefined): StepDefinition {
  const base = STEPS.find((s) => s.key === key) as StepDefinition;
  if ((key !== 'allocation' && key !== 'recognition') || !obligations) return base;
  const ids = [...new Set(obligations.performanceObligations.map((p) => p.id))];
  // An empty enum is not valid JSON Schema; with no obligations, rows must stay empty anyway.
  const poId = ids.length ? z.enum(ids as [string, ...string[]]) : z.enum(['none']);
  const schema = key === 'allocation' ? allocationSchema(poId) : recognitionSchema(poId);
  return define(key, NAMES[key], TITLES[key], schema as z.ZodType<StepResults[typeof key]>) as never;
}

/**
 * The answers one analysis has: all five, or step 1 alone when it found no contract yet (the
 * analysis stops there, ASC 606-10-25-6/25-7).
 */
export type AnalysisSteps = Pick<StepResults, 'contract'> & Partial<Omit<StepResults, 'contract'>>;

/** True when step 1 ended the analysis: steps 2 to 5 are not run. */
export function endsAtStep1(contract: ContractStep): boolean {
  return contract.outcome === 'no_contract_yet';
}
