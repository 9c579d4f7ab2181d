import type { EvalCase } from '../types';

export const significantFinancing: EvalCase = {
  id: 'significant-financing-component',
  title: 'Deferred payment with a significant financing component',
  guidance: 'ASC 606-10-32-15 to 32-20; 606-10-55-235 to 55-239 (Example 28, determining the discount rate)',
  rationale:
    'Payment is due 24 months after the scanner is delivered and the deferred price exceeds the cash price by $100,000 (about 4.9 % a year, which the parties say matches a separate financing rate), so the contract has a significant financing component (606-10-32-16). The transaction price is the cash selling price of $1,000,000; the $100,000 is interest income over the two years, not revenue. The scanner transfers at a point in time on delivery.',
  contract: `EQUIPMENT PURCHASE AGREEMENT

This Equipment Purchase Agreement (the "Agreement") is made on August 11, 2025 between Northgate Medical Imaging Corp., a Georgia corporation ("Seller"), and Riverside Orthopedic Clinic PC, a Florida professional corporation ("Buyer").

1. EQUIPMENT
1.1 Seller will sell and deliver one MRX-3 magnetic resonance imaging scanner (the "Scanner") to Buyer's clinic on September 1, 2025, ready for clinical use.
1.2 Title and risk of loss pass to Buyer on delivery.

2. PRICE AND PAYMENT
2.1 Buyer may pay either $1,000,000 in cash on delivery or $1,100,000 in a single payment twenty-four (24) months after delivery. Buyer has elected the deferred payment of $1,100,000.
2.2 The deferred payment bears no separately stated interest.
2.3 The difference between the two prices reflects a financing rate of about 4.9% a year, which the parties agree is consistent with the rate Buyer would obtain in a separate financing transaction at the date of this Agreement.

3. WARRANTY
3.1 Seller warrants that the Scanner will conform to its published specifications for twelve months after delivery. This warranty is included with every scanner and cannot be bought separately.

4. GENERAL
4.1 Any amendment must be in writing and signed by both parties.

IN WITNESS WHEREOF, the parties have executed this Agreement.
Northgate Medical Imaging Corp. By: Elena Petrov, Vice President
Riverside Orthopedic Clinic PC By: Dr. James Tolliver, President
`,
  expected: {
    contract: { exists: true, vendor: ['northgate'], customer: ['riverside'] },
    obligations: [
      {
        key: 'scanner',
        description: 'One MRX-3 MRI scanner',
        aliases: ['scanner', 'mri', 'equipment', 'imaging'],
        clauses: ['1.1'],
        allocated: 1_000_000,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
    ],
    price: { transactionPrice: [1_000_000], variable: { present: false }, financing: 'yes' },
    unknowns: [{ kind: 'collectibility' }],
  },
};
