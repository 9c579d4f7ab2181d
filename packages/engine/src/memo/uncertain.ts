import type { AnalysisSteps, StepKey } from '../steps/schemas';
import { CRITERIA, JUDGEMENTS } from './steps';

/**
 * What a step's structured answer itself marks as uncertain or dependent on facts outside the
 * contract: an "unclear" status, a null amount, an undetermined estimation method, a standalone
 * selling price that is not determinable. The memo lists each as an open item for the accountant
 * (next to the model's own questions), so nothing the model was unsure of reads as a finding.
 * Plain text; the caller escapes it.
 */
export function uncertainItems(key: StepKey, steps: AnalysisSteps): string[] {
  switch (key) {
    case 'contract': {
      const c = steps.contract;
      return (Object.keys(CRITERIA) as (keyof typeof CRITERIA)[])
        .filter((k) => c.criteria[k].status === 'unclear')
        .map((k) => `Existence criterion ${CRITERIA[k]} is unclear: ${c.criteria[k].rationale}`);
    }
    case 'obligations': {
      const o = steps.obligations;
      if (!o) return [];
      const judgements = (Object.keys(JUDGEMENTS) as (keyof typeof JUDGEMENTS)[])
        .filter((k) => o.judgements[k].conclusion === 'needs_information')
        .map((k) => `${JUDGEMENTS[k]} needs information: ${o.judgements[k].analysis}`);
      return o.performanceObligations
        .flatMap((po) => [
          ...(po.capableOfBeingDistinct.status === 'unclear'
            ? [
                `Whether ${po.id} (${po.description}) is capable of being distinct is unclear: ${po.capableOfBeingDistinct.rationale}`,
              ]
            : []),
          ...(po.distinctInContext.status === 'unclear'
            ? [
                `Whether ${po.id} (${po.description}) is distinct in the context of the contract is unclear: ${po.distinctInContext.rationale}`,
              ]
            : []),
          ...(po.series.conclusion === 'unclear'
            ? [`Whether the series guidance applies to ${po.id} (${po.description}) is unclear.`]
            : []),
        ])
        .concat(judgements);
    }
    case 'price': {
      const p = steps.price;
      if (!p) return [];
      const presence = (
        [
          ['Whether there is a significant financing component', p.significantFinancing],
          ['Whether there is noncash consideration', p.noncashConsideration],
          ['Whether there is consideration payable to the customer', p.considerationPayableToCustomer],
        ] as const
      )
        .filter(([, a]) => a.present === 'unclear')
        .map(([what, a]) => `${what} is unclear: ${a.analysis}`);
      const variable = p.variableConsideration
        .filter(
          (v) =>
            v.treatment === 'needs_information' ||
            (v.treatment === 'estimated_in_price' && v.constrainedAmount === null),
        )
        .map(
          (v) =>
            `The variable consideration "${v.description}" cannot be estimated from the contract; provide the facts for the estimate and the constraint (${v.constraintAnalysis})`,
        );
      const total =
        p.transactionPrice.amount === null
          ? [`The transaction price is not determinable from the contract: ${p.transactionPrice.description}`]
          : [];
      return [...presence, ...variable, ...total];
    }
    case 'allocation': {
      const a = steps.allocation;
      if (!a) return [];
      // A single obligation takes the whole price: its SSP is not needed (ASC 606-10-32-28).
      const single = a.allocations.length === 1 && a.allocations[0]?.allocatedAmount !== null;
      const rows = a.allocations.flatMap((x) =>
        !single && (x.standaloneSellingPrice === null || x.sspBasis === 'not_determinable')
          ? [
              `The standalone selling price of ${x.performanceObligationId} is not determinable from the contract: ${x.rationale}`,
            ]
          : x.allocatedAmount === null
            ? [
                `The amount allocated to ${x.performanceObligationId} is not determinable from the contract: ${x.rationale}`,
              ]
            : [],
      );
      const discount =
        a.discount.present === 'unclear'
          ? [`Whether there is a discount is unclear: ${a.discount.analysis}`]
          : [];
      return [...rows, ...discount];
    }
    case 'recognition':
      return (steps.recognition?.recognition ?? [])
        .filter((r) => r.pattern === 'unclear')
        .map(
          (r) =>
            `Whether ${r.performanceObligationId} is satisfied over time or at a point in time is unclear: ${r.rationale}`,
        );
  }
}
