import type { EvalCase } from '../types';

export const seriesServices: EvalCase = {
  id: 'series-of-distinct-services',
  title: 'Monthly payroll processing: a series of distinct services',
  guidance:
    'ASC 606-10-25-14(b) and 25-15; 606-10-55-157B to 55-157E (Example 12A); 606-10-55-159 (Example 13)',
  rationale:
    'Each month of payroll processing is distinct and substantially the same, each is satisfied over time and progress is measured the same way, so the 24 months form one performance obligation that is a series (606-10-25-15). The customer receives and consumes the benefit as the processing happens (606-10-25-27(a)); revenue of $192,000 is recognized as each month is performed.',
  contract: `PAYROLL SERVICES AGREEMENT

This Payroll Services Agreement (the "Agreement") is made on June 2, 2025 between Ledgerline Payroll Services Inc., a Texas corporation ("Provider"), and Oakridge Manufacturing Co., an Iowa corporation ("Customer").

1. SERVICES
1.1 Provider will process Customer's payroll every month for twenty-four (24) months beginning July 1, 2025: calculating pay, withholding taxes, paying employees and filing payroll tax returns.
1.2 Each monthly payroll run is substantially the same service, and Customer benefits from each run as it is performed.

2. FEES AND PAYMENT
2.1 Customer will pay a fixed fee of $8,000 per month, $192,000 over the twenty-four months, invoiced monthly in arrears and payable within fifteen (15) days.

3. TERM AND TERMINATION
3.1 The Agreement ends on June 30, 2027. Either party may terminate for material breach not cured within thirty days of notice.

4. GENERAL
4.1 Changes to the services or fees require a written amendment signed by both parties.

IN WITNESS WHEREOF, the parties have executed this Agreement.
Ledgerline Payroll Services Inc. By: Grace Holloway, CEO
Oakridge Manufacturing Co. By: Martin Keel, Controller
`,
  expected: {
    contract: { exists: true, vendor: ['ledgerline'], customer: ['oakridge'] },
    obligations: [
      {
        key: 'payroll',
        description: 'Monthly payroll processing services for 24 months',
        aliases: ['payroll'],
        clauses: ['1.1'],
        series: true,
        allocated: 192_000,
        timing: [{ pattern: 'over_time', measures: ['time_elapsed', 'output_method', 'right_to_invoice'] }],
      },
    ],
    price: { transactionPrice: [192_000], variable: { present: false } },
    unknowns: [{ kind: 'collectibility' }],
  },
};
