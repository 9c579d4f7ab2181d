import type { PipelineStage } from '@revmemo/contracts';
import { z } from 'zod';
import { type JsonSchema, toStrictJsonSchema } from './strict-schema';

/**
 * The five structured answers, one per ASC 606 step. Strict mode forbids optional fields, so
 * "unknown" is always an explicit null / 'unclear' plus an open question, never an omission.
 */

const citations = z
  .array(z.string())
  .describe('Ids of the contract sections this finding relies on, e.g. ["S3","S7"]; [] only if none applies');
const openQuestions = z
  .array(z.string())
  .describe(
    'Questions for the preparer where the contract is silent or ambiguous on this step; never guess instead',
  );
const conclusion = z.string().describe('The conclusion for this step in one to three sentences');
const status = z.enum(['met', 'not_met', 'unclear']);
const presence = z.enum(['yes', 'no', 'unclear']);
const assessment = z.object({ analysis: z.string(), citations });
const presenceAssessment = z.object({ present: presence, analysis: z.string(), citations });

const criterion = z.object({ status, rationale: z.string(), citations });

export const ContractStepSchema = z.object({
  parties: z.array(z.object({ name: z.string(), role: z.enum(['vendor', 'customer', 'other']), citations })),
  term: z.object({
    description: z.string(),
    startDate: z.string().nullable().describe('As written in the contract, or null if not stated'),
    endDate: z.string().nullable(),
    durationMonths: z.number().nullable(),
    renewalAndTermination: z.string().nullable(),
    citations,
  }),
  criteria: z
    .object({
      a: criterion.describe('ASC 606-10-25-1(a): approved and the parties are committed'),
      b: criterion.describe("(b): each party's rights regarding the goods or services are identifiable"),
      c: criterion.describe('(c): payment terms are identifiable'),
      d: criterion.describe('(d): the contract has commercial substance'),
      e: criterion.describe('(e): collection of substantially all consideration is probable'),
    })
    .describe('The five existence criteria of ASC 606-10-25-1'),
  combination: assessment.describe('Whether this contract must be combined with others (ASC 606-10-25-9)'),
  modifications: assessment.describe('Modification terms and their accounting (ASC 606-10-25-10 to 25-13)'),
  conclusion,
  openQuestions,
});

const distinctTest = z.object({ status, rationale: z.string() });

export const ObligationsStepSchema = z.object({
  promisedGoodsOrServices: z.array(
    z.object({ id: z.string().describe('G1, G2, ...'), description: z.string(), citations }),
  ),
  performanceObligations: z.array(
    z.object({
      id: z.string().describe('PO1, PO2, ...'),
      description: z.string(),
      promisedItemIds: z.array(z.string()),
      capableOfBeingDistinct: distinctTest.describe('ASC 606-10-25-19(a)'),
      distinctInContext: distinctTest.describe('ASC 606-10-25-19(b) and 25-21'),
      seriesOfDistinctServices: z.boolean().describe('Series guidance of ASC 606-10-25-14(b) applies'),
      citations,
    }),
  ),
  conclusion,
  openQuestions,
});

const amount = z.number().nullable().describe('Amount in the contract currency, or null if not determinable');

export const PriceStepSchema = z.object({
  currency: z.string().nullable().describe('ISO code such as "USD", or null if not stated'),
  fixedConsideration: z.array(z.object({ description: z.string(), amount, citations })),
  variableConsideration: z.array(
    z.object({
      description: z.string(),
      estimationMethod: z.enum(['expected_value', 'most_likely_amount', 'undetermined']),
      estimatedAmount: amount,
      constraint: z.string().describe('Constraint analysis under ASC 606-10-32-11'),
      citations,
    }),
  ),
  significantFinancing: presenceAssessment,
  noncashConsideration: presenceAssessment,
  considerationPayableToCustomer: presenceAssessment,
  transactionPrice: z.object({ amount, description: z.string(), citations }),
  conclusion,
  openQuestions,
});

export const AllocationStepSchema = z.object({
  allocations: z.array(
    z.object({
      performanceObligationId: z.string(),
      standaloneSellingPrice: amount,
      sspBasis: z.enum([
        'observable_price',
        'adjusted_market_assessment',
        'expected_cost_plus_margin',
        'residual',
        'not_determinable',
      ]),
      allocatedAmount: amount,
      rationale: z.string(),
      citations,
    }),
  ),
  discount: z.object({ present: presence, amount, analysis: z.string(), citations }),
  variableConsiderationAllocation: assessment.describe('ASC 606-10-32-39 to 32-41'),
  conclusion,
  openQuestions,
});

export const RecognitionStepSchema = z.object({
  recognition: z.array(
    z.object({
      performanceObligationId: z.string(),
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
      rationale: z.string(),
      citations,
    }),
  ),
  conclusion,
  openQuestions,
});

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
  define(
    'allocation',
    'asc606_step4_allocation',
    'Step 4: Allocate the transaction price',
    AllocationStepSchema,
  ),
  define('recognition', 'asc606_step5_recognition', 'Step 5: Recognize revenue', RecognitionStepSchema),
] as const;

export const STEP_NAMES = STEPS.map((s) => s.name);
