import type { PricingTier } from '@revmemo/config';
import { TooManyWordsError } from './errors';

export interface PricingRules {
  tiers: readonly PricingTier[];
  maxWords: number;
}

/**
 * Model tokens that count as one word for pricing. Ordinary English contracts run at 1.3 to 1.45
 * o200k tokens per word, so for them the word count decides and the tiers keep their meaning; text
 * whose words do not look like words (joined by invisible or odd separators, homoglyphs, runs of
 * symbols) is priced by the tokens the model will actually read.
 */
export const TOKENS_PER_WORD = 2;

/** The words a price is computed from: the larger of the words and the model tokens / TOKENS_PER_WORD. */
export function billableWords(words: number, tokens: number): number {
  return Math.max(words, Math.ceil(tokens / TOKENS_PER_WORD));
}

/**
 * Credits for a document of `words` words and `tokens` model tokens (the same count as the model
 * budget check): the cheapest tier covering billableWords(words, tokens).
 */
export function priceForText(
  { words, tokens }: { words: number; tokens: number },
  rules: PricingRules,
): { credits: number; billableWords: number } {
  const billable = billableWords(words, tokens);
  return {
    credits: priceForWords(billable, rules, billable > words ? tokens : undefined),
    billableWords: billable,
  };
}

/** Credits for a document of `words` words: the cheapest tier whose maxWords covers it. */
export function priceForWords(words: number, { tiers, maxWords }: PricingRules, tokens?: number): number {
  if (!Number.isInteger(words) || words < 0)
    throw new RangeError(`words must be a non-negative integer, got ${words}`);
  const sorted = [...tiers].sort((a, b) => a.maxWords - b.maxWords);
  const largest = sorted.at(-1);
  if (!largest) throw new RangeError('no pricing tiers configured');
  // A MAX_WORDS above the largest tier would leave documents with no price; the smaller bound wins.
  const limit = Math.min(maxWords, largest.maxWords);
  if (words > limit) throw new TooManyWordsError(words, limit, tokens);
  const tier = sorted.find((t) => words <= t.maxWords) ?? largest;
  return tier.credits;
}
