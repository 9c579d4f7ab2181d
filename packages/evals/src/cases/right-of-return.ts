import type { EvalCase } from '../types';

export const rightOfReturn: EvalCase = {
  id: 'right-of-return',
  title: 'Sale with a right of return',
  guidance: 'ASC 606-10-55-22 to 55-29 (sale with a right of return); 606-10-55-202 to 55-207 (Example 22)',
  rationale:
    'The right of return is not a performance obligation (606-10-55-24); it makes the consideration variable. The contract states a predictive 5 % return history for identical terms, so the expected value of returns is $15,000 and the transaction price is $285,000 (the amount not expected to be refunded), with a refund liability for the rest. The serum transfers at a point in time on delivery.',
  contract: `DISTRIBUTION SALE AGREEMENT

This Distribution Sale Agreement (the "Agreement") is made on October 15, 2025 between Lumen & Vale Cosmetics LLC, a California limited liability company ("Supplier"), and Greystone Beauty Distributors Inc., a Nevada corporation ("Distributor").

1. SALE
1.1 Supplier will sell Distributor 2,000 units of Radiance Serum at $150 per unit, $300,000 in total, delivered on November 3, 2025.
1.2 Control of the units passes to Distributor on delivery. Distributor will pay within thirty (30) days of delivery.

2. RETURNS
2.1 Distributor may return any unsold units within ninety (90) days of delivery for a full refund. Returned units are in saleable condition and Supplier can resell them at a profit.
2.2 Supplier's records show that its distributors returned 5% of units sold on identical terms over the past three years, and the product, its price and the market have not changed.

3. GENERAL
3.1 Amendments must be in writing and signed by both parties.

IN WITNESS WHEREOF, the parties have signed this Agreement.
Lumen & Vale Cosmetics LLC By: Sofia Lindqvist, Managing Member
Greystone Beauty Distributors Inc. By: Derek Owusu, President
`,
  expected: {
    contract: { exists: true, vendor: ['lumen'], customer: ['greystone'] },
    obligations: [
      {
        key: 'serum',
        description: '2,000 units of Radiance Serum',
        aliases: ['serum', 'product', 'units'],
        clauses: ['1.1'],
        allocated: 285_000,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
    ],
    price: { transactionPrice: [285_000], variable: { present: true, amounts: [15_000, 285_000] } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
