import type { EvalCase } from '../types';

export const saasSetupFee: EvalCase = {
  id: 'saas-setup-fee',
  title: 'SaaS subscription with a non-refundable setup fee (no material right)',
  guidance: 'ASC 606-10-55-50 to 55-53 (nonrefundable upfront fees); 606-10-55-41 to 55-42 (material rights)',
  rationale:
    'The setup activities are administrative tasks that transfer nothing to the customer, so they are not a promised service (606-10-55-51); the $1,500 fee is an advance payment for the subscription, the only performance obligation, recognized ratably with it. The option to renew without paying the fee again is worth 1.25 % of one year of fees, which is not material, so it is not a material right (606-10-55-42). Transaction price $121,500.',
  contract: `SUBSCRIPTION AGREEMENT

This Subscription Agreement (the "Agreement") is made on April 15, 2025 between Quillstone Cloud, Inc., a Washington corporation ("Provider"), and Harbor & Pine Dental Group LLC, a Maine limited liability company ("Customer").

1. SERVICE
1.1 Provider will give Customer access to its hosted practice-management platform (the "Service") for twelve (12) months from May 1, 2025 (the "Subscription Term"). Customer does not receive a copy of the software.
1.2 The Service will be available at least 99.5% of each month.

2. SETUP
2.1 Before the Subscription Term starts, Provider will create Customer's tenant, load Customer's user list and activate the standard configuration.
2.2 These setup activities are administrative tasks Provider must perform to provide the Service. They do not transfer any good or service to Customer, and Customer gets no benefit from them apart from the Service.

3. FEES AND PAYMENT
3.1 Customer will pay a subscription fee of $120,000 for the Subscription Term, invoiced in twelve equal monthly instalments of $10,000 in advance.
3.2 Customer will pay a one-time, non-refundable setup fee of $1,500 on signature of this Agreement.
3.3 Invoices are payable within thirty (30) days of the invoice date.

4. RENEWAL AND TERMINATION
4.1 Customer may renew the Service for further twelve-month terms at Provider's then-current list price for new subscriptions. A renewing customer does not pay the setup fee again.
4.2 Either party may terminate for material breach not cured within thirty days of notice. Fees paid are non-refundable.

5. GENERAL
5.1 Any change to this Agreement must be agreed in writing by both parties.

IN WITNESS WHEREOF, the parties have signed this Agreement.
Quillstone Cloud, Inc. By: Alana Reyes, VP Sales
Harbor & Pine Dental Group LLC By: Dr. Owen Hale, Managing Partner
`,
  expected: {
    contract: { exists: true, vendor: ['quillstone'], customer: ['harbor'] },
    obligations: [
      {
        key: 'subscription',
        description: 'Access to the hosted practice-management platform for twelve months (subscription)',
        aliases: ['subscription', 'access', 'platform', 'hosted', 'saas'],
        clauses: ['1.1'],
        allocated: 121_500,
        timing: [{ pattern: 'over_time', measures: ['time_elapsed'] }],
      },
    ],
    price: { transactionPrice: [121_500], variable: { present: false } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
