import type { EvalCase } from '../types';

export const warranties: EvalCase = {
  id: 'assurance-and-service-warranty',
  title: 'Assurance-type warranty and a separately priced extended service plan',
  guidance: 'ASC 606-10-55-30 to 55-35 (warranties); 606-10-55-309 to 55-315 (Example 44)',
  rationale:
    'The twelve-month standard warranty only assures that the ovens meet their specifications, cannot be bought separately and is not a performance obligation (606-10-55-32); its cost is accrued under ASC 460. The Extended Care Plan is sold separately and covers wear and accidental damage beyond assurance, so it is a service-type warranty and a separate performance obligation (606-10-55-31), recognized over years two to four. Both are priced at their standalone selling prices: $400,000 and $90,000.',
  contract: `EQUIPMENT AND SERVICE AGREEMENT

This Equipment and Service Agreement (the "Agreement") is made on November 10, 2025 between Calloway Kitchen Systems Inc., an Illinois corporation ("Seller"), and Fernhill Restaurant Group LLC, a Wisconsin limited liability company ("Buyer").

1. OVENS
1.1 Seller will sell Buyer fifty (50) CK-900 combination ovens at $8,000 each, $400,000 in total, delivered on December 1, 2025. Control passes to Buyer on delivery.
1.2 Seller sells CK-900 ovens to all customers at this price.

2. STANDARD WARRANTY
2.1 For twelve months from delivery, Seller will repair or replace any oven that does not meet its published specifications because of a defect in materials or workmanship.
2.2 This standard warranty comes with every oven and cannot be purchased separately.

3. EXTENDED CARE PLAN
3.1 Buyer also buys Seller's Extended Care Plan for every oven for years two to four after delivery: quarterly preventive maintenance visits and repair of any failure, including failures caused by wear and accidental damage.
3.2 The Extended Care Plan costs $600 per oven per year, $90,000 for fifty ovens for three years. Seller sells the Extended Care Plan separately at this price.

4. PAYMENT
4.1 Buyer will pay $400,000 for the ovens within thirty (30) days of delivery and $30,000 for the Extended Care Plan at the start of each plan year.

5. GENERAL
5.1 Amendments must be in writing and signed by both parties.

IN WITNESS WHEREOF, the parties have executed this Agreement.
Calloway Kitchen Systems Inc. By: Renee Calloway, President
Fernhill Restaurant Group LLC By: Andre Duval, Chief Operating Officer
`,
  expected: {
    contract: { exists: true, vendor: ['calloway'], customer: ['fernhill'] },
    obligations: [
      {
        key: 'ovens',
        description: 'Fifty CK-900 combination ovens',
        aliases: ['oven'],
        clauses: ['1.1'],
        allocated: 400_000,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
      {
        key: 'extended-plan',
        description: 'Extended Care Plan for years two to four (service-type warranty)',
        aliases: ['extended', 'care plan', 'service type', 'maintenance'],
        clauses: ['3.1'],
        allocated: 90_000,
        timing: [{ pattern: 'over_time', measures: ['time_elapsed', 'input_method', 'output_method'] }],
      },
    ],
    price: { transactionPrice: [490_000], variable: { present: false } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
