import { isCutOff, parsePartialJson } from '../model/partial-json';
import type { StepKey } from './schemas';

/**
 * What a step's answer shows while the model is still writing it: the share of the answer that
 * has arrived and, in words, what it has found so far. For the progress bar only: the memo always
 * rests on the complete, validated answer (docs/progress-transport.md).
 */

/**
 * Typical answer sizes in characters: the simulator's rule answers run 1,000 to 5,000 characters a
 * step, a real model's a little longer. Steps 4 and 5 write one row per obligation from step 2.
 * A longer answer than expected holds the share at its cap until the answer is complete.
 */
const EXPECTED_CHARS: Record<StepKey, { base: number; perObligation: number }> = {
  contract: { base: 4_000, perObligation: 0 },
  obligations: { base: 5_500, perObligation: 0 },
  price: { base: 3_500, perObligation: 0 },
  allocation: { base: 750, perObligation: 350 },
  recognition: { base: 300, perObligation: 600 },
};

/** Below 1 until the validated answer is in: "almost done" is the most a partial answer can say. */
const MAX_PARTIAL_SHARE = 0.97;

export function expectedAnswerChars(key: StepKey, obligations: number): number {
  const { base, perObligation } = EXPECTED_CHARS[key];
  return base + perObligation * Math.max(1, obligations);
}

export function partialShare(receivedChars: number, expectedChars: number): number {
  return Math.min(MAX_PARTIAL_SHARE, receivedChars / expectedChars);
}

/**
 * The finding so far, from the beginning of the step's JSON answer; null while it shows nothing
 * yet (or is not JSON). `obligations` is how many performance obligations step 2 found.
 */
export function describePartial(key: StepKey, textSoFar: string, obligations = 0): string | null {
  const answer = parsePartialJson(textSoFar);
  if (!isRecord(answer)) return null;
  return DESCRIBE[key](answer, obligations);
}

type Answer = Record<string, unknown>;

const DESCRIBE: Record<StepKey, (a: Answer, obligations: number) => string | null> = {
  contract: (a) => {
    const parts: string[] = [];
    // A party's name is complete once its role, written after it, has begun.
    const parties = items(a.parties).filter((p) => typeof p.role === 'string' && typeof p.name === 'string');
    if (parties.length > 0) parts.push(`Parties: ${listed(parties.map((p) => String(p.name)))}`);
    const term = isRecord(a.term) ? a.term : null;
    if (typeof term?.durationMonths === 'number') parts.push(`${term.durationMonths}-month term`);
    const criteria = isRecord(a.criteria) ? a.criteria : null;
    if (criteria) {
      // A status is complete once its object is: enum values are short, the rationale before them is not.
      const judged = Object.values(criteria).filter((c) => isRecord(c) && !isCutOff(c));
      const met = judged.filter((c) => isRecord(c) && c.status === 'met').length;
      const soFar = isCutOff(criteria) ? ' so far' : '';
      if (judged.length > 0) parts.push(`${met} of 5 contract criteria met${soFar}`);
    }
    if (a.outcome === 'contract_exists') parts.push('contract identified');
    else if (a.outcome === 'no_contract_yet') parts.push('no enforceable contract yet');
    else if (a.outcome === 'needs_information') parts.push('the contract needs information to confirm');
    return parts.length > 0 ? parts.join('; ') : null;
  },
  obligations: (a) => {
    const found = finished(a.performanceObligations);
    if (Array.isArray(a.performanceObligations) && found > 0) {
      const done = !isCutOff(a.performanceObligations);
      if (done && 'judgements' in a) {
        const made = isRecord(a.judgements) ? finished(Object.values(a.judgements)) : 0;
        return `${count(found, 'performance obligation')} identified; ${made} of 8 judgements made`;
      }
      return `${count(found, 'performance obligation')} identified${done ? '' : ' so far'}`;
    }
    const goods = finished(a.promisedGoodsOrServices);
    if (goods === 0) return null;
    const listedGoods = count(goods, 'promised good or service', 'promised goods or services');
    return 'performanceObligations' in a
      ? `${listedGoods} found; weighing which are distinct`
      : `${listedGoods} found so far`;
  },
  price: (a) => {
    const currency = typeof a.currency === 'string' ? a.currency : null;
    const total = isRecord(a.transactionPrice) ? a.transactionPrice.amount : undefined;
    if (typeof total === 'number') return `transaction price: ${money(total, currency)}`;
    if (!Array.isArray(a.fixedConsideration) || finished(a.fixedConsideration) === 0) return null;
    const fixed = money(sumAmounts(a.fixedConsideration, 'amount'), currency);
    if (isCutOff(a.fixedConsideration)) return `fixed consideration found so far: ${fixed}`;
    const variable = a.variableConsideration;
    if (!Array.isArray(variable) || isCutOff(variable))
      return `transaction price: ${fixed} fixed, variable part being assessed`;
    return variable.length === 0
      ? `transaction price: ${fixed} fixed, no variable consideration`
      : `transaction price: ${fixed} fixed, ${count(variable.length, 'variable amount')} assessed`;
  },
  allocation: (a, obligations) => {
    if (!Array.isArray(a.allocations)) return null;
    const rows = items(a.allocations).filter((r) => !isCutOff(r) || 'allocatedAmount' in r).length;
    if (rows === 0 && obligations <= 0) return null;
    if (!isCutOff(a.allocations)) return `price allocated to ${ofObligations(rows, obligations)}`;
    if (rows === 0) return `allocating the price to ${count(obligations, 'obligation')}`;
    return `allocated to ${ofObligations(rows, obligations)}${rows < obligations ? ' so far' : ''}`;
  },
  recognition: (a, obligations) => {
    if (!Array.isArray(a.recognition)) return null;
    // The pattern is a short enum: once the key after it has begun, it is complete.
    const rows = items(a.recognition).filter((r) => !isCutOff(r) || 'overTimeCriterion' in r).length;
    if (rows === 0)
      return obligations > 0 ? `deciding when to recognize ${count(obligations, 'obligation')}` : null;
    const suffix = isCutOff(a.recognition) && rows < obligations ? ' so far' : '';
    return `timing decided for ${ofObligations(rows, obligations)}${suffix}`;
  },
};

function isRecord(v: unknown): v is Answer {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function items(v: unknown): Answer[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** Items the text has moved past: a cut-off last item is still being written. */
function finished(v: unknown): number {
  return Array.isArray(v) ? v.filter((x) => !isCutOff(x)).length : 0;
}

function sumAmounts(rows: unknown[], field: string): number {
  return items(rows)
    .filter((r) => !isCutOff(r))
    .reduce((total, r) => total + (typeof r[field] === 'number' ? (r[field] as number) : 0), 0);
}

function ofObligations(rows: number, obligations: number): string {
  if (obligations <= 0) return count(rows, 'obligation');
  if (rows < obligations) return `${rows} of ${count(obligations, 'obligation')}`;
  if (obligations === 1) return 'the one obligation';
  return obligations === 2 ? 'both obligations' : `all ${obligations} obligations`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Names for one line: a contract with many parties shows the first two and how many more. */
function listed(names: string[]): string {
  if (names.length <= 2) return names.join(' and ');
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

function money(amount: number, currency: string | null): string {
  const code = currency && /^[A-Za-z]{3}$/.test(currency.trim()) ? currency.trim().toUpperCase() : null;
  return code ? `${code} ${numberFormat.format(amount)}` : numberFormat.format(amount);
}
