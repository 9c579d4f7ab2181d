import type { EvalCase } from '../types';

export const customerOption: EvalCase = {
  id: 'customer-option-material-right',
  title: 'Option to buy additional goods at a discount (material right)',
  guidance: 'ASC 606-10-55-41 to 55-45 (customer options); 606-10-55-336 to 55-339 (Example 49)',
  rationale:
    'The option gives a 40 % discount where any customer gets 10 %: the incremental 30 % is available only because of this contract, so the option is a material right and a performance obligation (606-10-55-42). Its standalone selling price depends on how likely the customer is to exercise it (606-10-55-44), which the contract does not say, so neither the option’s price nor the allocation can be set from the contract: the preparer must be asked, not the number assumed. The tablets transfer on delivery; the option’s revenue when it is exercised or expires.',
  contract: `PURCHASE AGREEMENT

This Purchase Agreement (the "Agreement") is made on September 8, 2025 between Fieldmark Devices Inc., a Colorado corporation ("Vendor"), and Larchmont Utilities Co., a New York corporation ("Customer").

1. PRODUCTS
1.1 Vendor will sell Customer 1,000 FT-10 rugged tablets at $500 each, $500,000 in total, delivered on October 1, 2025. Control passes to Customer on delivery.
1.2 Customer will pay the $500,000 within thirty (30) days of delivery.

2. OPTION FOR ADDITIONAL TABLETS
2.1 For twelve months after delivery, Customer may buy up to 500 additional FT-10 tablets at $300 each, a 40% discount from the list price of $500.
2.2 Vendor currently offers every customer a 10% discount on FT-10 orders of 100 units or more. The further discount in Section 2.1 is available to Customer only because of this Agreement.
2.3 Customer is not required to buy any additional tablets.

3. GENERAL
3.1 Amendments must be in writing and signed by both parties.

IN WITNESS WHEREOF, the parties have signed this Agreement.
Fieldmark Devices Inc. By: Laura Chen, Regional Sales Manager
Larchmont Utilities Co. By: Peter Haines, Director of Field Operations
`,
  expected: {
    contract: { exists: true, vendor: ['fieldmark'], customer: ['larchmont'] },
    obligations: [
      {
        key: 'tablets',
        description: '1,000 FT-10 rugged tablets',
        aliases: ['1,000', 'rugged tablets', 'tablets'],
        clauses: ['1.1'],
        allocated: null,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
      {
        key: 'option',
        description: 'Option to buy additional tablets at a 40% discount (material right)',
        aliases: ['option', 'material right', 'additional tablets'],
        clauses: ['2.1'],
        allocated: null,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
    ],
    price: { transactionPrice: [500_000], variable: { present: false } },
    unknowns: [
      { kind: 'collectibility' },
      {
        kind: 'question',
        key: 'exercise-likelihood',
        step: 'allocation',
        about: 'How likely is the Customer to exercise the option, and for how many tablets?',
        keywords: ['likel', 'exercise', 'probab', 'how many additional'],
      },
    ],
  },
};
