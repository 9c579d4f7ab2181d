import type {
  AllocationStep,
  ContractStep,
  ObligationsStep,
  PriceStep,
  RecognitionStep,
} from '../steps/schemas';
import { type Citer, inline, label, money } from './markdown';

export interface StepSection {
  analysis: string[];
  conclusion: string;
}

const STATUS = { met: 'Met', not_met: 'Not met', unclear: 'Unclear / needs information' } as const;
const PRESENCE = { yes: 'Present', no: 'Not present', unclear: 'Unclear' } as const;
const ROLE = { vendor: 'vendor', customer: 'customer', other: 'other party' } as const;
export const CRITERIA = {
  a: '(a) Approved and parties committed',
  b: "(b) Each party's rights identifiable",
  c: '(c) Payment terms identifiable',
  d: '(d) Commercial substance',
  e: '(e) Collectibility probable',
} as const;
const OUTCOME = {
  contract_exists: 'A contract exists',
  no_contract_yet: 'No contract exists yet (ASC 606-10-25-6/25-7)',
  needs_information: 'Needs information',
} as const;
const TERMINATION = {
  none: 'no termination for convenience',
  customer_without_penalty: 'the customer may terminate for convenience without a substantive penalty',
  customer_with_substantive_penalty: 'the customer may terminate for convenience, with a substantive penalty',
  unclear: 'termination rights unclear',
} as const;
const MODIFICATION = {
  separate_contract_25_12: 'separate contract (25-12)',
  termination_and_new_contract_25_13a: 'termination of the old and creation of a new contract (25-13(a))',
  cumulative_catch_up_25_13b: 'part of the existing contract, cumulative catch-up (25-13(b))',
  mixed_25_13c: 'combination of both (25-13(c))',
  needs_information: 'needs information',
} as const;

export function renderContractStep(r: ContractStep, cite: Citer): StepSection {
  const parties = r.parties.length
    ? r.parties.map((p) => `${inline(p.name)} (${label(ROLE, p.role)})${cite(p.evidence)}`).join('; ')
    : 'Not identified.';
  const t = r.term;
  const months = (n: number | null) => (n === null ? 'not stated' : `${n} months`);
  const dates = [
    `start ${inline(t.startDate, 'not stated')}`,
    `end ${inline(t.endDate, 'not stated')}`,
    `stated duration ${months(t.durationMonths)}`,
    `enforceable term ${months(t.enforceableTermMonths)}`,
  ].join(', ');
  const modifications = r.modifications.map(
    (m) =>
      `  - ${inline(m.document)}: **${label(MODIFICATION, m.treatment)}**. ${inline(m.analysis)}${cite(m.evidence, true)}`,
  );
  return {
    analysis: [
      `- **Parties:** ${parties}`,
      `- **Term:** ${inline(t.description)} (${dates}).${cite(t.evidence)}`,
      `- **Renewal and termination:** ${inline(t.renewalAndTermination)} Termination for convenience (ASC 606-10-25-3): ${label(TERMINATION, t.terminationForConvenience)}.`,
      '- **Existence criteria (ASC 606-10-25-1):**',
      ...(Object.keys(CRITERIA) as (keyof typeof CRITERIA)[]).map((k) => {
        const c = r.criteria[k];
        return `  - ${CRITERIA[k]}: **${label(STATUS, c.status)}**. ${inline(c.rationale)}${cite(c.evidence, c.status !== 'unclear')}`;
      }),
      `- **Combination of contracts:** ${inline(r.combination.analysis)}${cite(r.combination.evidence)}`,
      '- **Contract modifications (ASC 606-10-25-10 to 25-13):**',
      ...(modifications.length
        ? modifications
        : ['  - No amendment or later document changes the contract.']),
      `- **How changes are agreed:** ${inline(r.modificationTerms.analysis)}${cite(r.modificationTerms.evidence)}`,
      `- **Outcome:** ${label(OUTCOME, r.outcome)}`,
    ],
    conclusion: inline(r.conclusion),
  };
}

const SERIES = { applies: 'applies', does_not_apply: 'does not apply', unclear: 'unclear' } as const;
const NATURE = {
  hosted_service: 'hosted service (no licence, 985-20-15-5)',
  functional_ip_licence: 'licence of functional IP (point in time)',
  symbolic_ip_licence: 'licence of symbolic IP (over time)',
  goods: 'goods',
  professional_services: 'professional services',
  stand_ready: 'stand-ready obligation',
  other: 'other',
} as const;
export const JUDGEMENTS = {
  materialRights: 'Customer options and material rights (606-10-55-41 to 55-45)',
  principalVersusAgent: 'Principal versus agent (55-36 to 55-40)',
  setupFees: 'Upfront and setup fees (55-50 to 55-53)',
  warranty: 'Service-type warranty (55-30 to 55-35)',
  rightOfReturn: 'Right of return (55-22 to 55-29)',
  breakage: "Breakage: customers' unexercised rights (55-46 to 55-49)",
  usageBasedRoyalty: 'Sales- or usage-based royalty (55-65)',
  contractCosts: 'Costs to obtain or fulfil the contract (ASC 340-40)',
} as const;
export const JUDGEMENT_CONCLUSION = {
  applies: 'Applies',
  does_not_apply: 'Does not apply',
  needs_information: 'Needs information',
} as const;

export function renderObligationsStep(r: ObligationsStep, cite: Citer): StepSection {
  const goods = r.promisedGoodsOrServices.map(
    (g) => `  - ${inline(g.id)}: ${inline(g.description)}${cite(g.evidence)}`,
  );
  const pos = r.performanceObligations.flatMap((po) => [
    `  - **${inline(po.id)}: ${inline(po.description)}**${cite(po.evidence, true)}`,
    `    - Nature of the promise: ${label(NATURE, po.natureOfPromise)}`,
    `    - Promised items: ${po.promisedItemIds.length ? po.promisedItemIds.map((id) => inline(id)).join(', ') : 'none listed'}`,
    `    - Capable of being distinct: ${label(STATUS, po.capableOfBeingDistinct.status)}. ${inline(po.capableOfBeingDistinct.rationale)}${cite(po.capableOfBeingDistinct.evidence)}`,
    `    - Distinct in the context of the contract: ${label(STATUS, po.distinctInContext.status)}. ${inline(po.distinctInContext.rationale)}${cite(po.distinctInContext.evidence)}`,
    `    - Series of distinct services (25-14(b)): **${label(SERIES, po.series.conclusion)}**; substantially the same: ${label(STATUS, po.series.substantiallyTheSame.status)}, each satisfied over time: ${label(STATUS, po.series.satisfiedOverTime.status)}, same measure of progress: ${label(STATUS, po.series.sameMeasureOfProgress.status)}. ${inline(po.series.substantiallyTheSame.rationale, '')}`,
  ]);
  const judgements = (Object.keys(JUDGEMENTS) as (keyof typeof JUDGEMENTS)[]).map((k) => {
    const j = r.judgements[k];
    return `  - ${JUDGEMENTS[k]}: **${label(JUDGEMENT_CONCLUSION, j.conclusion)}**. ${inline(j.facts, '')} ${inline(j.analysis, '')}${cite(j.evidence, j.conclusion === 'applies')}`;
  });
  return {
    analysis: [
      '- **Promised goods and services:**',
      ...(goods.length ? goods : ['  - None identified.']),
      '- **Performance obligations:**',
      ...(pos.length ? pos : ['  - None identified.']),
      '- **Judgements:**',
      ...judgements,
    ],
    conclusion: inline(r.conclusion),
  };
}

const METHOD = {
  expected_value: 'expected value',
  most_likely_amount: 'most likely amount',
  not_estimated: 'not estimated',
} as const;
export const TREATMENT = {
  estimated_in_price: 'estimated and included in the transaction price',
  allocated_to_distinct_period_32_40: 'allocated to the distinct period it relates to (32-40)',
  right_to_invoice_expedient: 'recognised as invoiced (right-to-invoice expedient, 55-18)',
  usage_based_royalty_55_65: 'recognised as usage occurs (royalty exception, 55-65)',
  needs_information: 'needs information',
} as const;

export function renderPriceStep(r: PriceStep, cite: Citer): StepSection {
  const fixed = r.fixedConsideration.map(
    (f) => `  - ${inline(f.description)}: ${money(f.amount, r.currency)}${cite(f.evidence)}`,
  );
  const variable = r.variableConsideration.map(
    (v) =>
      `  - ${inline(v.description)}: unconstrained estimate ${money(v.unconstrainedEstimate, r.currency)} (${label(METHOD, v.estimationMethod)}), constrained amount ${money(v.constrainedAmount, r.currency)}; ${label(TREATMENT, v.treatment)}. Constraint: ${inline(v.constraintAnalysis)}${cite(v.evidence)}`,
  );
  const presence = (title: string, a: PriceStep['significantFinancing']) =>
    `- **${title}:** ${label(PRESENCE, a.present)}. ${inline(a.analysis)}${cite(a.evidence)}`;
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
      `- **Transaction price:** ${money(r.transactionPrice.amount, r.currency)}. ${inline(r.transactionPrice.description)}${cite(r.transactionPrice.evidence, r.transactionPrice.amount !== null)}`,
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

/** The model's allocation as answered, footed with totals and set against the transaction price. */
export function renderAllocationStep(
  r: AllocationStep,
  price: PriceStep,
  cite: Citer,
  relativeSsp: ReadonlyMap<string, number | null>,
): StepSection {
  const currency = price.currency;
  const m = (n: number | null) => money(n, currency);
  const rows = r.allocations.map(
    (a) =>
      `| ${inline(a.performanceObligationId)} | ${m(a.standaloneSellingPrice)} | ${label(SSP_BASIS, a.sspBasis)} | ${m(a.allocatedAmount)} | ${m(relativeSsp.get(a.performanceObligationId) ?? null)} | ${inline(a.rationale)}${cite(a.evidence)} |`,
  );
  const total = (xs: (number | null)[]) =>
    xs.length && xs.every((x) => x !== null)
      ? m(xs.reduce<number>((s, x) => s + (x as number), 0))
      : 'not determinable';
  const table = rows.length
    ? [
        '| Performance obligation | Standalone selling price | Basis | Allocated | Recomputed (relative SSP) | Rationale |',
        '| --- | --- | --- | --- | --- | --- |',
        ...rows,
        `| **Total** | ${total(r.allocations.map((a) => a.standaloneSellingPrice))} |  | ${total(r.allocations.map((a) => a.allocatedAmount))} |  |  |`,
        `| **Transaction price** |  |  | ${m(price.transactionPrice.amount)} |  |  |`,
      ]
    : ['No allocation was made.'];
  return {
    analysis: [
      ...table,
      '',
      `- **Discount:** ${label(PRESENCE, r.discount.present)}${r.discount.amount === null ? '' : `, ${m(r.discount.amount)}`}. ${inline(r.discount.analysis)}${cite(r.discount.evidence)}`,
      `- **Allocation of variable consideration:** ${inline(r.variableConsiderationAllocation.analysis)}${cite(r.variableConsiderationAllocation.evidence)}`,
    ],
    conclusion: inline(r.conclusion),
  };
}

export const PATTERN = {
  over_time: 'Over time',
  point_in_time: 'At a point in time',
  unclear: 'Unclear',
} as const;
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

export function renderRecognitionStep(r: RecognitionStep, cite: Citer): StepSection {
  const items = r.recognition.flatMap((x) => [
    `- **${inline(x.performanceObligationId)}: ${label(PATTERN, x.pattern)}**${cite(x.evidence, x.pattern !== 'unclear')}`,
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
