/** Credits charged for a contract of up to `maxWords` words. Tiers are sorted by maxWords ascending. */
export interface PricingTier {
  maxWords: number;
  credits: number;
}

/** A Stripe Checkout credit pack. `priceCents` is in USD cents. */
export interface CreditPack {
  id: string;
  credits: number;
  priceCents: number;
  name: string;
}

export const DEFAULT_PRICING_TIERS: PricingTier[] = [
  { maxWords: 3_000, credits: 10 },
  { maxWords: 10_000, credits: 25 },
  { maxWords: 25_000, credits: 50 },
  { maxWords: 60_000, credits: 100 },
];

export const DEFAULT_CREDIT_PACKS: CreditPack[] = [
  { id: 'starter', name: 'Starter: 50 credits', credits: 50, priceCents: 5_000 },
  { id: 'team', name: 'Team: 250 credits', credits: 250, priceCents: 22_500 },
  { id: 'firm', name: 'Firm: 1000 credits', credits: 1_000, priceCents: 80_000 },
];
