import type { EvalCase } from '../types';

export const contractModification: EvalCase = {
  id: 'contract-modification',
  title: 'Contract modification adding distinct goods at their standalone selling price',
  guidance: 'ASC 606-10-25-12; 606-10-55-111 to 55-113 (Example 5, Case A)',
  rationale:
    'The amendment adds 30 distinct motors at $95, which the contract states is the standalone selling price at that date, so it is accounted for as a separate contract (606-10-25-12): the original 120 motors keep their $12,000 and the additional 30 carry $2,850. Each lot transfers at a point in time on delivery.',
  contract: `SUPPLY AGREEMENT

This Supply Agreement (the "Agreement") is effective January 6, 2025 between Pelham Components Ltd., a Connecticut corporation ("Supplier"), and Arcwright Robotics Inc., a Pennsylvania corporation ("Customer").

1. PRODUCTS
1.1 Supplier will sell Customer 120 SM-7 servo motors at $100 each, $12,000 in total, delivered in equal monthly lots over six months.
1.2 Control of each lot passes to Customer on delivery.

2. PAYMENT
2.1 Customer will pay for each lot within thirty (30) days of its delivery.

3. AMENDMENT NO. 1
3.1 This amendment is dated March 10, 2025, when 60 of the 120 motors had been delivered. Supplier will sell Customer 30 additional SM-7 servo motors at $95 each, $2,850 in total, delivered with the remaining lots.
3.2 The price of $95 is Supplier's standalone selling price for SM-7 motors at the date of this amendment, reflecting its standard volume pricing for customers of Customer's size.
3.3 All other terms of the Agreement are unchanged.

IN WITNESS WHEREOF, the parties have signed this Agreement and Amendment No. 1.
Pelham Components Ltd. By: Joan Whitaker, Sales Director
Arcwright Robotics Inc. By: Samuel Ortiz, Purchasing Manager
`,
  expected: {
    contract: { exists: true, vendor: ['pelham'], customer: ['arcwright'] },
    obligations: [
      {
        key: 'original-motors',
        description: 'The original 120 SM-7 servo motors',
        aliases: ['120', 'original', 'initial', 'motor'],
        clauses: ['1.1'],
        allocated: 12_000,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
      {
        key: 'additional-motors',
        description: 'The 30 additional motors under Amendment No. 1',
        aliases: ['additional', 'amendment'],
        clauses: ['3.1'],
        allocated: 2_850,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
    ],
    price: { transactionPrice: [14_850, 12_000], variable: { present: false } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
