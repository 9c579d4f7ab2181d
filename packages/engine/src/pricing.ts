import type { PricingTier } from '@revmemo/config';
import { TooManyWordsError } from './errors';

export interface PricingRules {
  tiers: readonly PricingTier[];
  maxWords: number;
}

/** Credits for a document of `words` words: the cheapest tier whose maxWords covers it. */
export function priceForWords(words: number, { tiers, maxWords }: PricingRules): number {
  if (!Number.isInteger(words) || words < 0)
    throw new RangeError(`words must be a non-negative integer, got ${words}`);
  const sorted = [...tiers].sort((a, b) => a.maxWords - b.maxWords);
  const largest = sorted.at(-1);
  if (!largest) throw new RangeError('no pricing tiers configured');
  // A MAX_WORDS above the largest tier would leave documents with no price; the smaller bound wins.
  const limit = Math.min(maxWords, largest.maxWords);
  if (words > limit) throw new TooManyWordsError(words, limit);
  const tier = sorted.find((t) => words <= t.maxWords) ?? largest;
  return tier.credits;
}
