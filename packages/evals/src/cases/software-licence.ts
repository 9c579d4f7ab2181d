import type { EvalCase } from '../types';

export const softwareLicence: EvalCase = {
  id: 'software-licence-installation-pcs',
  title: 'Software licence with installation and post-contract support',
  guidance:
    'ASC 606-10-25-19 to 25-21; 606-10-55-141 to 55-145 (Example 11, Case A); 606-10-32-31 (relative SSP)',
  rationale:
    'The licence, the installation and the PCS are each distinct: the software works without the installation, which does not significantly modify it and which other providers perform, and the updates are not integral to it (Example 11, Case A). The $300,000 price is allocated by the observable list prices ($240,000, $30,000 and $60,000 for two years), so the $30,000 discount falls proportionally on all three (606-10-32-36). The licence is a right to use recognized when the software is available (606-10-55-58); installation over time as performed; PCS ratably over two years.',
  contract: `SOFTWARE LICENCE AND SERVICES AGREEMENT

This Software Licence and Services Agreement (the "Agreement") is entered into as of April 1, 2025 (the "Effective Date") between Corvane Software Ltd., an English company ("Licensor"), and Meridian Freight Inc., a Delaware corporation ("Licensee").

1. LICENCE
1.1 Licensor grants Licensee a perpetual, non-exclusive licence to install and use the Corvane Route Optimizer software (the "Software") for up to 200 named users. Licensor makes the Software available for download on the Effective Date, and Licensee may use it from that date.
1.2 The Software is fully functional on delivery; Licensee can use it without the installation services or any updates.

2. INSTALLATION
2.1 Licensor will install the Software on Licensee's servers and configure its standard interfaces within six weeks of the Effective Date.
2.2 The installation does not significantly modify or customize the Software. Several other service providers routinely perform this installation for Licensor's customers.

3. POST-CONTRACT SUPPORT
3.1 For two (2) years from the Effective Date, Licensor will provide post-contract support ("PCS"): telephone support during business hours and when-and-if-available updates of the Software.
3.2 PCS may be renewed at the end of the two years at Licensor's then-current list price.

4. FEES AND PAYMENT
4.1 Licensee will pay a total contract price of $300,000 for the licence, the installation and two years of PCS.
4.2 The total contract price is invoiced in three parts: $200,000 on the Effective Date, $50,000 on completion of the installation and $50,000 on the first anniversary of the Effective Date. Invoices are payable within thirty (30) days.
4.3 Licensor's list prices, at which it regularly sells each item separately to customers like Licensee, are: the licence $240,000; the installation $30,000; PCS $30,000 per year.

5. GENERAL
5.1 Any amendment to this Agreement must be in writing and signed by both parties.
5.2 This Agreement is governed by the laws of the State of New York.

IN WITNESS WHEREOF, the parties have executed this Agreement as of the Effective Date.
Corvane Software Ltd. By: Priya Nandakumar, Director
Meridian Freight Inc. By: Tom Beckett, Chief Financial Officer
`,
  expected: {
    contract: { exists: true, vendor: ['corvane'], customer: ['meridian'] },
    obligations: [
      {
        key: 'licence',
        description: 'Perpetual licence to the Route Optimizer software',
        aliases: ['licence', 'right to use'],
        clauses: ['1.1'],
        allocated: 218_181.82,
        timing: [{ pattern: 'point_in_time', measures: [] }],
      },
      {
        key: 'installation',
        description: 'Installation and configuration services',
        aliases: ['install'],
        clauses: ['2.1'],
        allocated: 27_272.73,
        timing: [{ pattern: 'over_time', measures: ['input_method', 'output_method'] }],
      },
      {
        key: 'pcs',
        description: 'Post-contract support: telephone support and when-and-if-available updates',
        aliases: ['pcs', 'post contract support', 'support', 'maintenance', 'update'],
        clauses: ['3.1'],
        allocated: 54_545.45,
        timing: [{ pattern: 'over_time', measures: ['time_elapsed'] }],
      },
    ],
    alsoAcceptable: ['update', 'telephone support', 'technical support'],
    price: { transactionPrice: [300_000], variable: { present: false } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
