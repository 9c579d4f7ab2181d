import { amountSentences, type Facts } from './facts';
import { amountsIn, shorten } from './text';

/** Money rules shared by steps 3 and 4, so both steps see the same numbers. */

export interface FixedItem {
  description: string;
  amount: number;
  citations: string[];
}
export interface VariableItem {
  description: string;
  method: 'expected_value' | 'most_likely_amount' | 'undetermined';
  citations: string[];
}

const VARIABLE =
  /\bper (transaction|hour|chargeback|unit|call)\b|rebate|service credit|bonus|incentive|penalt|up to|as used|reimburse|(?<!non-)refund/i;
const NOT_CONSIDERATION =
  /list price|standard rate|interest|shipping insurance|reserve|discount|liab|exceeds \$/i;
const RECURRING: [RegExp, number][] = [
  [/\bmonthly\b|per month|each month/i, 1],
  [/\bannual\b|per year|each year|twelve-month period|yearly/i, 12],
];

export function fixedConsideration(facts: Facts): FixedItem[] {
  const total = amountSentences(facts).find((s) =>
    /total (contract )?price|total consideration/i.test(s.text),
  );
  if (total) {
    const last = amountsIn(total.text).at(-1)?.value ?? total.amount;
    return [{ description: phrase(total.text), amount: last, citations: [total.sectionId] }];
  }
  const months = facts.termMonths?.value ?? null;
  return amountSentences(facts)
    .filter(
      (s) =>
        /\b(fee|fees|price|pay|payable|commit)/i.test(s.text) &&
        !VARIABLE.test(s.text) &&
        !NOT_CONSIDERATION.test(s.text),
    )
    .map((s) => {
      const period = RECURRING.find(([re]) => re.test(s.text))?.[1];
      // A recurring fee counts once per period of the stated term; without a term only once.
      const times = period && months ? Math.max(1, Math.round(months / period)) : 1;
      const note = times > 1 ? ` (${times} periods over the ${months}-month term)` : '';
      return { description: `${phrase(s.text)}${note}`, amount: s.amount * times, citations: [s.sectionId] };
    });
}

export function variableConsideration(facts: Facts): VariableItem[] {
  return (
    facts.sentences
      .filter((s) => VARIABLE.test(s.text) && /\$|%|(?<!non-)refund/.test(s.text))
      // Interest, discounts and reserves are not variable consideration; a signing incentive is
      // consideration payable to the customer (step 3 reports it separately).
      .filter((s) => !/list price|interest|discount of|reserve|signing incentive|no refund/i.test(s.text))
      .map((s) => ({
        description: phrase(s.text),
        method: /bonus/i.test(s.text)
          ? 'most_likely_amount'
          : /per |%|rebate|credit|refund/i.test(s.text)
            ? 'expected_value'
            : 'undetermined',
        citations: [s.sectionId],
      }))
  );
}

export function transactionPrice(facts: Facts): { amount: number | null; citations: string[] } {
  const fixed = fixedConsideration(facts);
  if (fixed.length === 0) return { amount: null, citations: [] };
  return { amount: fixed.reduce((a, f) => a + f.amount, 0), citations: fixed.flatMap((f) => f.citations) };
}

/**
 * The standalone selling price the contract states for an offering ("list price of X is $N"):
 * the largest amount after the offering's name, so "$12,500 each, $500,000 in total" gives the
 * total, and a per-period price is scaled to the term like recurring fees.
 */
export function statedSsp(facts: Facts, match: RegExp): { amount: number; citations: string[] } | null {
  for (const s of facts.sentences) {
    if (!/list price|standard rate|standalone|sold separately/i.test(s.text)) continue;
    const at = s.text.search(match);
    if (at < 0) continue;
    const after = amountsIn(s.text)
      .filter((a) => a.index > at)
      .map((a) => {
        const unit = s.text.slice(a.index, a.index + 24);
        const period = RECURRING.find(([re]) => re.test(unit))?.[1];
        const months = facts.termMonths?.value;
        return period && months ? a.value * Math.max(1, Math.round(months / period)) : a.value;
      });
    if (after.length === 0) continue;
    return { amount: Math.max(...after), citations: [s.sectionId] };
  }
  return null;
}

/** A sentence as a description: shortened, without the closing punctuation. */
function phrase(text: string): string {
  return shorten(text).replace(/[.:;]+$/, '');
}
