import type { EvalCase } from '../types';

export const payableToCustomer: EvalCase = {
  id: 'consideration-payable-to-customer',
  title: 'Upfront payment to a retailer (consideration payable to a customer)',
  guidance: 'ASC 606-10-32-25 to 32-27; 606-10-55-252 to 55-254 (Example 32)',
  rationale:
    'The $1,500,000 paid to the retailer for its own shelving buys no distinct good or service from it, so it is consideration payable to a customer and reduces the transaction price (606-10-32-25): $15,000,000 committed purchases less $1,500,000 = $13,500,000, recognized as the products are delivered. Purchases above the minimum are optional and not part of this contract.',
  contract: `SUPPLY AND MERCHANDISING AGREEMENT

This Supply and Merchandising Agreement (the "Agreement") is made on December 1, 2025 between Brambleton Foods Inc., a Virginia corporation ("Supplier"), and CornerMart Stores Inc., a Maryland corporation ("Retailer").

1. PURCHASE COMMITMENT
1.1 During calendar year 2026 Retailer will purchase at least $15,000,000 of Supplier's snack products at Supplier's current wholesale prices, ordered weekly for its 300 stores.
1.2 Control of each delivery passes to Retailer when the products arrive at Retailer's distribution center.
1.3 Retailer may buy more than the committed amount at the same prices but has no obligation to do so.

2. SHELVING PAYMENT
2.1 On signing this Agreement, Supplier will pay Retailer a non-refundable $1,500,000 to change the shelving in Retailer's stores to hold Supplier's products.
2.2 Retailer owns the shelving. Supplier receives no good or service from Retailer in exchange for the payment.

3. PAYMENT TERMS
3.1 Retailer will pay each invoice within thirty (30) days of delivery.

4. GENERAL
4.1 Amendments must be in writing and signed by both parties.

IN WITNESS WHEREOF, the parties have executed this Agreement.
Brambleton Foods Inc. By: Marcus Reid, National Accounts Director
CornerMart Stores Inc. By: Angela Brooks, SVP Merchandising
`,
  expected: {
    contract: { exists: true, vendor: ['brambleton'], customer: ['cornermart'] },
    obligations: [
      {
        key: 'products',
        description: 'Supply of snack products (at least $15,000,000 in 2026)',
        aliases: ['snack', 'product', 'goods'],
        clauses: ['1.1'],
        allocated: 13_500_000,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
    ],
    price: { transactionPrice: [13_500_000], variable: { present: false }, payableToCustomer: 'yes' },
    unknowns: [{ kind: 'collectibility' }],
  },
};
