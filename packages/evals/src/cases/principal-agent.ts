import type { EvalCase } from '../types';

export const principalAgent: EvalCase = {
  id: 'principal-versus-agent',
  title: 'Online marketplace: principal versus agent',
  guidance:
    'ASC 606-10-55-36 to 55-40; 606-10-55-317 to 55-319 (Example 45, arranging for the provision of goods)',
  rationale:
    'The marketplace never controls the products: the merchant sets prices, holds the inventory, ships and bears the returns, and the marketplace never takes title (606-10-55-39). It is an agent whose promise is to arrange sales; its revenue is the 12 % commission, net, earned as each sale is arranged (Example 45). The commission depends on future sales, so no transaction price is determinable at inception; the preparer must ask how much the merchant expects to sell.',
  contract: `MARKETPLACE SERVICES AGREEMENT

This Marketplace Services Agreement (the "Agreement") is made on May 20, 2025 between Tidewell Marketplace Inc., a Delaware corporation ("Tidewell"), and Coppergate Home Goods LLC, a Vermont limited liability company ("Merchant").

1. SERVICES
1.1 Tidewell operates an online marketplace on which shoppers buy goods from independent merchants. Tidewell will list Merchant's products on the marketplace and arrange for their sale to shoppers.
1.2 This Agreement runs for one (1) year from June 1, 2025 and renews for further years unless either party gives thirty days' notice.

2. MERCHANT RESPONSIBILITIES
2.1 Merchant sets the prices of its products, holds its own inventory, ships orders directly to shoppers and is responsible for returns, defects and customer service for its products.
2.2 Tidewell never takes title to or possession of Merchant's products and bears no inventory risk.

3. PAYMENTS AND COMMISSION
3.1 Shoppers pay through Tidewell's checkout. Tidewell collects the purchase price on Merchant's behalf and remits it to Merchant within seven days, less its commission.
3.2 Tidewell's commission is 12% of the price of each product sold through the marketplace. There is no listing or subscription fee.
3.3 Tidewell earns its commission when a shopper's order is accepted by Merchant; commissions are not refunded if a shopper later returns a product.

4. GENERAL
4.1 Tidewell may change its commission rates only by written amendment signed by both parties.

IN WITNESS WHEREOF, the parties have signed this Agreement.
Tidewell Marketplace Inc. By: Nina Osei, Head of Merchant Partnerships
Coppergate Home Goods LLC By: Ben Coppergate, Owner
`,
  expected: {
    contract: { exists: true, vendor: ['tidewell'], customer: ['coppergate'] },
    obligations: [
      {
        key: 'arranging',
        description: 'Arranging for the sale of the Merchant’s products to shoppers (agent)',
        aliases: ['arrang', 'facilitat', 'listing', 'agent', 'commission', 'marketplace service'],
        clauses: ['1.1'],
        allocated: null,
        timing: [
          { pattern: 'point_in_time', measures: [] },
          { pattern: 'over_time', measures: ['right_to_invoice', 'output_method'] },
        ],
      },
    ],
    price: { transactionPrice: null, variable: { present: true } },
    unknowns: [
      { kind: 'collectibility' },
      {
        kind: 'question',
        key: 'expected-sales',
        step: 'price',
        about:
          'What sales volume does the Merchant expect through the marketplace (to estimate the commission)?',
        keywords: [
          'sales volume',
          'expected sales',
          'volume of sales',
          'gross merchandise',
          'forecast',
          'how much',
        ],
      },
    ],
  },
};
