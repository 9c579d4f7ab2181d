import type { EvalCase } from '../types';

export const volumeDiscount: EvalCase = {
  id: 'volume-discount-constraint',
  title: 'Retroactive volume discount and the constraint on variable consideration',
  guidance: 'ASC 606-10-32-5 to 32-14; 606-10-55-216 to 55-220 (Example 24, volume discount incentive)',
  rationale:
    'The retroactive price reduction to $36 depends on optional orders the vendor cannot predict: there is no forecast and no history (clause 2.3). Including the full $40 price would risk a significant reversal of $40,000, so the constraint limits the transaction price to $360,000 (606-10-32-11) until the uncertainty resolves; the preparer must ask how many additional kits the customer expects to order. Each kit transfers at a point in time on delivery.',
  contract: `SUPPLY AGREEMENT

This Supply Agreement (the "Agreement") is entered into on November 20, 2025 between Kestrel Diagnostics Corp., a Minnesota corporation ("Supplier"), and Alder Valley Health System, an Oregon nonprofit corporation ("Customer").

1. PRODUCTS
1.1 Supplier will sell and deliver 10,000 RapidCheck test kits (the "Kits") to Customer in twelve equal monthly shipments during calendar year 2026. Customer is committed to purchase these 10,000 Kits.
1.2 Customer may order additional Kits during 2026 at the prices in Section 2 but has no obligation to do so.
1.3 Title and control of each shipment pass to Customer on delivery to Customer's central warehouse.

2. PRICE
2.1 The price is $40 per Kit, $400,000 for the 10,000 committed Kits, invoiced on each shipment and payable within thirty (30) days.
2.2 Volume discount: if Customer's total orders for 2026 reach 15,000 Kits or more, the price of every Kit purchased in 2026, including the committed Kits, is reduced to $36 per Kit, and Supplier will issue a credit note for the difference on Kits already invoiced.
2.3 Customer has not given Supplier any forecast of additional orders, and Supplier has no purchasing history with Customer or with similar customers for this product.

3. GENERAL
3.1 Amendments to this Agreement must be in writing and signed by both parties.
3.2 This Agreement is governed by the laws of the State of Oregon.

IN WITNESS WHEREOF, the parties have executed this Agreement.
Kestrel Diagnostics Corp. By: Helen Marsh, President
Alder Valley Health System By: Raj Patel, Chief Procurement Officer
`,
  expected: {
    contract: { exists: true, vendor: ['kestrel'], customer: ['alder valley'] },
    obligations: [
      {
        key: 'kits',
        description: 'Delivery of 10,000 RapidCheck test kits',
        aliases: ['kit', 'test'],
        clauses: ['1.1'],
        allocated: 360_000,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
    ],
    price: {
      transactionPrice: [360_000],
      variable: { present: true, amounts: [40_000, 360_000] },
    },
    unknowns: [
      { kind: 'collectibility' },
      {
        kind: 'question',
        key: 'additional-orders',
        step: 'price',
        about:
          'How many additional Kits does the Customer expect to order in 2026 (does the volume discount apply)?',
        keywords: ['additional', 'forecast', '15,000', 'volume', 'threshold'],
      },
    ],
  },
};
