import type { EvalCase } from '../types';

export const billAndHold: EvalCase = {
  id: 'bill-and-hold',
  title: 'Bill-and-hold arrangement with custodial services',
  guidance: 'ASC 606-10-55-81 to 55-84 (bill-and-hold); 606-10-55-409 to 55-413 (Example 63)',
  rationale:
    'The customer asked for the arrangement (its plant is not ready), the presses are identified as its property, ready for shipment and cannot go to another customer, so all four criteria of 606-10-55-83 are met and control of the presses passes at acceptance even though they stay in the seller’s warehouse. Holding them is a separate custodial service (Example 63), recognized over the holding period. The $1,000,000 is allocated on the list price of the presses and the $4,000-a-month storage rate for up to six months ($24,000).',
  contract: `EQUIPMENT SALE AGREEMENT

This Equipment Sale Agreement (the "Agreement") is made on February 3, 2025 between Brightforge Machinery LLC, an Ohio limited liability company ("Seller"), and Tessaro Packaging Inc., a Michigan corporation ("Buyer").

1. EQUIPMENT
1.1 Seller will manufacture and sell to Buyer four (4) PX-400 hydraulic presses (the "Presses") built to Seller's standard catalog specification.
1.2 Buyer will test the Presses at Seller's facility. Acceptance occurs when Buyer signs the acceptance certificate, expected by June 30, 2025.

2. PRICE AND PAYMENT
2.1 The price is $250,000 per Press, $1,000,000 in total, which is Seller's list price for the Presses.
2.2 Buyer will pay 30% of the price on signature and 70% within thirty (30) days of acceptance.

3. BILL-AND-HOLD
3.1 Buyer's new plant will not be ready to receive the Presses until about six months after acceptance. At Buyer's request, Seller will hold the accepted Presses in its warehouse until Buyer asks for delivery, for up to six (6) months.
3.2 Seller will store the Presses separately from its other inventory, tag each one as the property of Buyer and keep them ready for immediate shipment. Seller may not use the Presses or deliver them to any other customer.
3.3 Title and risk of loss pass to Buyer on acceptance. From then on Seller holds the Presses as custodian for Buyer.
3.4 Storage and insurance during the holding period are included in the price. Seller's standard rate for storing comparable equipment for customers is $4,000 per month for four presses.

4. GENERAL
4.1 Any amendment must be in writing and signed by both parties.

IN WITNESS WHEREOF, the parties have executed this Agreement.
Brightforge Machinery LLC By: Carla Jensen, General Manager
Tessaro Packaging Inc. By: Victor Amari, Operations Director
`,
  expected: {
    contract: { exists: true, vendor: ['brightforge'], customer: ['tessaro'] },
    obligations: [
      {
        key: 'presses',
        description: 'Four PX-400 hydraulic presses',
        aliases: ['press'],
        clauses: ['1.1'],
        allocated: 976_562.5,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
      {
        key: 'custody',
        description: 'Custodial storage of the presses during the holding period',
        aliases: ['custod', 'storage', 'store', 'holding', 'warehous'],
        clauses: ['3.1', '3.4'],
        allocated: 23_437.5,
        timing: [{ pattern: 'over_time', measures: ['time_elapsed'] }],
      },
    ],
    price: { transactionPrice: [1_000_000], variable: { present: false } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
