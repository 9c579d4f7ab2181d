/** A short services agreement with numbered sections, enough for the pipeline to cite. */
export const SMALL_CONTRACT = `MASTER SUBSCRIPTION AGREEMENT

This Master Subscription Agreement is entered into on January 15, 2026 between Northwind Software Inc. ("Provider") and Contoso Manufacturing LLC ("Customer").

1. Subscription. Provider grants Customer access to the Northwind Analytics platform for 250 named users for a term of thirty-six (36) months beginning February 1, 2026.

2. Implementation Services. Provider will configure the platform, migrate historical data and train Customer staff. Implementation is expected to take eight weeks and is priced separately.

3. Fees. Customer will pay an annual subscription fee of $120,000, invoiced annually in advance, and a one-time implementation fee of $30,000 invoiced on signature. Payment terms are net 30 days.

4. Service Levels. If monthly availability falls below 99.5%, Customer receives a service credit of 5% of the monthly fee, up to 20% in any month.

5. Termination. Either party may terminate for material breach not cured within 30 days. Fees paid are non-refundable except as required by law.

6. Governing Law. This Agreement is governed by the laws of the State of Delaware.
`;
