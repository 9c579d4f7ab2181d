import type {
  AllocationStep,
  ContractStep,
  ObligationsStep,
  PriceStep,
  RecognitionStep,
} from '../steps/schemas';
import { cite, inline, label, money } from './markdown';

export interface StepSection {
  analysis: string[];
  conclusion: string;
}

const STATUS = { met: 'Met', not_met: 'Not met', unclear: 'Unclear' } as const;
const PRESENCE = { yes: 'Present', no: 'Not present', unclear: 'Unclear' } as const;
const ROLE = { vendor: 'vendor', customer: 'customer', other: 'other party' } as const;
export const CRITERIA = {
  a: '(a) Approved and parties committed',
  b: "(b) Each party's rights identifiable",
  c: '(c) Payment terms identifiable',
  d: '(d) Commercial substance',
  e: '(e) Collectibility probable',
} as const;

export function renderContractStep(r: ContractStep): StepSection {
  const parties = r.parties.length
    ? r.parties.map((p) => `${inline(p.name)} (${label(ROLE, p.role)})${cite(p.citations)}`).join('; ')
    : 'Not identified.';
  const t = r.term;
  const dates = [
    `start ${inline(t.startDate, 'not stated')}`,
    `end ${inline(t.endDate, 'not stated')}`,
    `duration ${t.durationMonths === null ? 'not stated' : `${t.durationMonths} months`}`,
  ].join(', ');
  return {
    analysis: [
      `- **Parties:** ${parties}`,
      `- **Term:** ${inline(t.description)} (${dates}).${cite(t.citations)}`,
      `- **Renewal and termination:** ${inline(t.renewalAndTermination)}`,
      '- **Existence criteria (ASC 606-10-25-1):**',
      ...(Object.keys(CRITERIA) as (keyof typeof CRITERIA)[]).map((k) => {
        const c = r.criteria[k];
        return `  - ${CRITERIA[k]}: **${label(STATUS, c.status)}**. ${inline(c.rationale)}${cite(c.citations)}`;
      }),
      `- **Combination of contracts:** ${inline(r.combination.analysis)}${cite(r.combination.citations)}`,
      `- **Contract modifications:** ${inline(r.modifications.analysis)}${cite(r.modifications.citations)}`,
    ],
    conclusion: inline(r.conclusion),
  };
}

export function renderObligationsStep(r: ObligationsStep): StepSection {
  const goods = r.promisedGoodsOrServices.map(
    (g) => `  - ${inline(g.id)}: ${inline(g.description)}${cite(g.citations)}`,
  );
  const pos = r.performanceObligations.flatMap((po) => [
    `  - **${inline(po.id)}: ${inline(po.description)}**${cite(po.citations)}`,
    `    - Promised items: ${po.promisedItemIds.length ? po.promisedItemIds.map((id) => inline(id)).join(', ') : 'none listed'}`,
    `    - Capable of being distinct: ${label(STATUS, po.capableOfBeingDistinct.status)}. ${inline(po.capableOfBeingDistinct.rationale)}`,
    `    - Distinct in the context of the contract: ${label(STATUS, po.distinctInContext.status)}. ${inline(po.distinctInContext.rationale)}`,
    `    - Series of distinct services: ${po.seriesOfDistinctServices ? 'yes' : 'no'}`,
  ]);
  return {
    analysis: [
      '- **Promised goods and services:**',
      ...(goods.length ? goods : ['  - None identified.']),
      '- **Performance obligations:**',
      ...(pos.length ? pos : ['  - None identified.']),
    ],
    conclusion: inline(r.conclusion),
  };
}

const METHOD = {
  expected_value: 'expected value',
  most_likely_amount: 'most likely amount',
  undetermined: 'method not determined',
} as const;

export function renderPriceStep(r: PriceStep): StepSection {
  const fixed = r.fixedConsideration.map(
    (f) => `  - ${inline(f.description)}: ${money(f.amount, r.currency)}${cite(f.citations)}`,
  );
  const variable = r.variableConsideration.map(
    (v) =>
      `  - ${inline(v.description)}: ${money(v.estimatedAmount, r.currency)} (${label(METHOD, v.estimationMethod)}). Constraint: ${inline(v.constraint)}${cite(v.citations)}`,
  );
  const presence = (title: string, a: PriceStep['significantFinancing']) =>
    `- **${title}:** ${label(PRESENCE, a.present)}. ${inline(a.analysis)}${cite(a.citations)}`;
  return {
    analysis: [
      `- **Currency:** ${inline(r.currency)}`,
      '- **Fixed consideration:**',
      ...(fixed.length ? fixed : ['  - None identified.']),
      '- **Variable consideration:**',
      ...(variable.length ? variable : ['  - None identified.']),
      presence('Significant financing component', r.significantFinancing),
      presence('Noncash consideration', r.noncashConsideration),
      presence('Consideration payable to the customer', r.considerationPayableToCustomer),
      `- **Transaction price:** ${money(r.transactionPrice.amount, r.currency)}. ${inline(r.transactionPrice.description)}${cite(r.transactionPrice.citations)}`,
    ],
    conclusion: inline(r.conclusion),
  };
}

const SSP_BASIS = {
  observable_price: 'observable price',
  adjusted_market_assessment: 'adjusted market assessment',
  expected_cost_plus_margin: 'expected cost plus margin',
  residual: 'residual approach',
  not_determinable: 'not determinable',
} as const;

export function renderAllocationStep(r: AllocationStep, currency: string | null): StepSection {
  const rows = r.allocations.map(
    (a) =>
      `| ${inline(a.performanceObligationId)} | ${money(a.standaloneSellingPrice, currency)} | ${label(SSP_BASIS, a.sspBasis)} | ${money(a.allocatedAmount, currency)} | ${inline(a.rationale)}${cite(a.citations)} |`,
  );
  const table = rows.length
    ? [
        '| Performance obligation | Standalone selling price | Basis | Allocated | Rationale |',
        '| --- | --- | --- | --- | --- |',
        ...rows,
      ]
    : ['No allocation was made.'];
  return {
    analysis: [
      ...table,
      '',
      `- **Discount:** ${label(PRESENCE, r.discount.present)}${r.discount.amount === null ? '' : `, ${money(r.discount.amount, currency)}`}. ${inline(r.discount.analysis)}${cite(r.discount.citations)}`,
      `- **Allocation of variable consideration:** ${inline(r.variableConsiderationAllocation.analysis)}${cite(r.variableConsiderationAllocation.citations)}`,
    ],
    conclusion: inline(r.conclusion),
  };
}

const PATTERN = { over_time: 'Over time', point_in_time: 'At a point in time', unclear: 'Unclear' } as const;
const CRITERION = {
  simultaneous_receipt_and_consumption:
    'customer simultaneously receives and consumes the benefits (ASC 606-10-25-27(a))',
  customer_controls_asset_as_created: 'customer controls the asset as it is created or enhanced (25-27(b))',
  no_alternative_use_with_right_to_payment:
    'no alternative use and an enforceable right to payment (25-27(c))',
  not_applicable: 'not applicable',
} as const;
const PROGRESS = {
  time_elapsed: 'time elapsed',
  output_method: 'output method',
  input_method: 'input method',
  right_to_invoice: 'right to invoice practical expedient',
  not_applicable: 'not applicable',
} as const;

export function renderRecognitionStep(r: RecognitionStep): StepSection {
  const items = r.recognition.flatMap((x) => [
    `- **${inline(x.performanceObligationId)}: ${label(PATTERN, x.pattern)}**${cite(x.citations)}`,
    `  - Over-time criterion: ${label(CRITERION, x.overTimeCriterion)}`,
    `  - Measure of progress: ${label(PROGRESS, x.measureOfProgress)}`,
    `  - Timing: ${inline(x.timing)}`,
    `  - Rationale: ${inline(x.rationale)}`,
  ]);
  return {
    analysis: items.length ? items : ['No performance obligations to recognize.'],
    conclusion: inline(r.conclusion),
  };
}
