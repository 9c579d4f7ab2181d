import { quoteFound, type Section, STEPS, type StepKey, type StepResults } from '@revmemo/engine';
import type { EvalCase, ExpectedObligation } from './types';

/**
 * Scores one structured answer (the five step results) against a case's expected answer, field by
 * field. Every field is worth one point and is passed or failed with the reason, so a report says
 * exactly what was wrong and a wrong amount costs exactly that amount's point.
 */

type FieldCategory = 'finding' | 'citations' | 'unknown';

export interface FieldResult {
  step: StepKey;
  /** "price.transaction-price", "obligations.po:licence", "contract.unknown:collectibility", ... */
  field: string;
  category: FieldCategory;
  points: number;
  earned: number;
  passed: boolean;
  /** True when the failure is a fact the contract does not support (counted as invented). */
  invented: boolean;
  why: string;
}

interface StepScore {
  earned: number;
  possible: number;
}

export interface CaseScore {
  fields: FieldResult[];
  steps: Record<StepKey, StepScore>;
  earned: number;
  possible: number;
  inventedFacts: number;
}

const DEFAULT_TOLERANCE = 0.005;

export function scoreCase(evalCase: EvalCase, steps: StepResults, sections: readonly Section[]): CaseScore {
  const x = evalCase.expected;
  const tolerance = x.tolerance ?? DEFAULT_TOLERANCE;
  const known = new Set(sections.map((s) => s.id));
  const fields: FieldResult[] = [];
  const add = (
    step: StepKey,
    field: string,
    category: FieldCategory,
    passed: boolean,
    why: string,
    invented = false,
  ) => {
    fields.push({
      step,
      field: `${step}.${field}`,
      category,
      points: 1,
      earned: passed ? 1 : 0,
      passed,
      invented: !passed && invented,
      why,
    });
  };

  // Step 1: the contract.
  const c = steps.contract;
  const statuses = (['a', 'b', 'c', 'd', 'e'] as const).map((k) => `${k}=${c.criteria[k].status}`).join(' ');
  const notMet = (['a', 'b', 'c', 'd', 'e'] as const).filter((k) => c.criteria[k].status === 'not_met');
  if (x.contract.exists) {
    add(
      'contract',
      'exists',
      'finding',
      notMet.length === 0,
      notMet.length === 0
        ? `no criterion not met (${statuses})`
        : `criteria ${notMet.join(', ')} marked not met, but a contract exists (${statuses})`,
    );
  } else {
    add(
      'contract',
      'exists',
      'finding',
      notMet.length > 0,
      notMet.length > 0
        ? `criteria ${notMet.join(', ')} not met (${statuses})`
        : `all criteria met or unclear, but no contract exists under ASC 606-10-25-1 (${statuses})`,
    );
  }
  const vendor = c.parties.find((p) => p.role === 'vendor');
  const customer = c.parties.find((p) => p.role === 'customer');
  const vendorOk = !!vendor && containsAny(vendor.name, x.contract.vendor);
  const customerOk = !!customer && containsAny(customer.name, x.contract.customer);
  add(
    'contract',
    'parties',
    'finding',
    vendorOk && customerOk,
    `vendor ${vendor ? `"${vendor.name}"` : 'missing'} ${vendorOk ? 'ok' : `(expected ${x.contract.vendor.join(' / ')})`}; customer ${customer ? `"${customer.name}"` : 'missing'} ${customerOk ? 'ok' : `(expected ${x.contract.customer.join(' / ')})`}`,
  );

  // Step 2: the performance obligations, matched by meaning through their aliases.
  const pos = steps.obligations.performanceObligations;
  const goods = new Map(steps.obligations.promisedGoodsOrServices.map((g) => [normId(g.id), g.description]));
  const poText = pos.map((po) =>
    [po.description, ...po.promisedItemIds.map((id) => goods.get(normId(id)) ?? '')].join(' '),
  );
  const match = matchObligations(x.obligations, poText);
  for (const [i, ob] of x.obligations.entries()) {
    const j = match.get(i);
    const po = j === undefined ? undefined : pos[j];
    if (!po) {
      add(
        'obligations',
        `po:${ob.key}`,
        'finding',
        false,
        `missing: no obligation mentions ${aliasList(ob)}`,
      );
      continue;
    }
    if (ob.series !== undefined && (po.series.conclusion === 'applies') !== ob.series) {
      add(
        'obligations',
        `po:${ob.key}`,
        'finding',
        false,
        `${po.id} "${shorten(po.description)}" found, but series = ${po.series.conclusion} (expected ${ob.series})`,
      );
      continue;
    }
    add('obligations', `po:${ob.key}`, 'finding', true, `${po.id} "${shorten(po.description)}"`);
  }
  const matched = new Set(match.values());
  const extras = pos.filter(
    (_, j) => !matched.has(j) && !containsAny(poText[j] ?? '', x.alsoAcceptable ?? []),
  );
  add(
    'obligations',
    'no-extra',
    'finding',
    extras.length === 0,
    extras.length === 0
      ? `${pos.length} obligation(s), none unexpected`
      : `unexpected: ${extras.map((po) => `${po.id} "${shorten(po.description)}"`).join('; ')}`,
  );

  // Step 3: the transaction price.
  const p = steps.price;
  const tp = p.transactionPrice.amount;
  if (x.price.transactionPrice === null) {
    add(
      'price',
      'transaction-price',
      'finding',
      tp === null,
      tp === null
        ? 'not determinable at inception, and the answer says so'
        : `${fmt(tp)} stated, but the contract does not determine the price at inception`,
      true,
    );
  } else {
    const ok = tp !== null && x.price.transactionPrice.some((v) => near(tp, v, tolerance));
    add(
      'price',
      'transaction-price',
      'finding',
      ok,
      `${tp === null ? 'none stated' : fmt(tp)}${ok ? '' : ` (expected ${x.price.transactionPrice.map(fmt).join(' or ')})`}`,
    );
  }
  const variable = p.variableConsideration;
  if (!x.price.variable.present) {
    add(
      'price',
      'variable',
      'finding',
      variable.length === 0,
      variable.length === 0
        ? 'none, as expected'
        : `unexpected: ${variable.map((v) => `"${shorten(v.description)}"`).join('; ')}`,
    );
  } else if (variable.length === 0) {
    add('price', 'variable', 'finding', false, 'missing: the contract has variable consideration');
  } else {
    const amounts = x.price.variable.amounts;
    const estimates = variable
      .map((v) => v.constrainedAmount ?? v.unconstrainedEstimate)
      .filter((v): v is number => v !== null);
    const ok = !amounts || estimates.some((e) => amounts.some((a) => near(Math.abs(e), a, tolerance)));
    add(
      'price',
      'variable',
      'finding',
      ok,
      ok
        ? `${variable.length} item(s)${amounts ? `, estimate ${estimates.map(fmt).join(', ')}` : ''}`
        : `estimate ${estimates.length ? estimates.map(fmt).join(', ') : 'not given'} (expected ${amounts?.map(fmt).join(' or ')})`,
    );
  }
  if (x.price.financing) {
    const got = p.significantFinancing.present;
    add('price', 'financing', 'finding', got === x.price.financing, `${got} (expected ${x.price.financing})`);
  }
  if (x.price.payableToCustomer) {
    const got = p.considerationPayableToCustomer.present;
    add(
      'price',
      'payable-to-customer',
      'finding',
      got === x.price.payableToCustomer,
      `${got} (expected ${x.price.payableToCustomer})`,
    );
  }

  // Steps 4 and 5, per expected obligation, through the answer's obligation id from step 2.
  const idOf = (i: number): string | undefined => {
    const j = match.get(i);
    return j === undefined ? undefined : normId(pos[j]?.id ?? '');
  };
  for (const [i, ob] of x.obligations.entries()) {
    const id = idOf(i);
    const alloc = id
      ? steps.allocation.allocations.find((a) => normId(a.performanceObligationId) === id)
      : undefined;
    if (!alloc) {
      add(
        'allocation',
        `po:${ob.key}`,
        'finding',
        false,
        id ? `no allocation for ${id}` : 'obligation not identified',
      );
    } else if (ob.allocated === null) {
      add(
        'allocation',
        `po:${ob.key}`,
        'finding',
        alloc.allocatedAmount === null,
        alloc.allocatedAmount === null
          ? 'not determinable from the contract, and the answer says so'
          : `${fmt(alloc.allocatedAmount)} allocated, but the contract does not determine it`,
        true,
      );
    } else {
      const got = alloc.allocatedAmount;
      const ok = got !== null && near(got, ob.allocated, tolerance);
      add(
        'allocation',
        `po:${ob.key}`,
        'finding',
        ok,
        `${got === null ? 'none' : fmt(got)}${ok ? '' : ` (expected ${fmt(ob.allocated)})`}`,
      );
    }

    const rec = id
      ? steps.recognition.recognition.find((r) => normId(r.performanceObligationId) === id)
      : undefined;
    if (!rec) {
      add(
        'recognition',
        `po:${ob.key}`,
        'finding',
        false,
        id ? `no recognition for ${id}` : 'obligation not identified',
      );
      continue;
    }
    const ok = ob.timing.some(
      (t) =>
        t.pattern === rec.pattern &&
        (t.pattern === 'point_in_time' ||
          t.measures.length === 0 ||
          t.measures.includes(rec.measureOfProgress)),
    );
    const expected = ob.timing
      .map((t) =>
        t.pattern === 'over_time' && t.measures.length ? `over_time/${t.measures.join('|')}` : t.pattern,
      )
      .join(' or ');
    add(
      'recognition',
      `po:${ob.key}`,
      'finding',
      ok,
      `${rec.pattern}${rec.pattern === 'over_time' ? `/${rec.measureOfProgress}` : ''}${ok ? '' : ` (expected ${expected})`}`,
    );
  }

  // What the contract does not say must stay unknown and be asked.
  const questions = STEPS.flatMap((s) => steps[s.key].openQuestions);
  for (const u of x.unknowns) {
    if (u.kind === 'collectibility') {
      const e = c.criteria.e;
      add(
        'contract',
        'unknown:collectibility',
        'unknown',
        e.status === 'unclear',
        e.status === 'unclear'
          ? 'left unclear: the contract says nothing about the customer’s credit'
          : `marked ${e.status}, but the contract says nothing about the customer’s ability or intention to pay`,
        true,
      );
    } else {
      const asked = questions.find((q) => containsAny(q, u.keywords));
      add(
        u.step,
        `unknown:${u.key}`,
        'unknown',
        !!asked,
        asked ? `asked: "${shorten(asked)}"` : `not asked: ${u.about}`,
      );
    }
  }

  // Every citation must name a real section and quote it truly, and every step must cite something.
  const text = new Map(sections.map((s) => [s.id, s.text]));
  for (const step of STEPS) {
    const cited = evidenceIn(steps[step.key]);
    const unknownIds = [...new Set(cited.filter((e) => !known.has(e.sectionId)).map((e) => e.sectionId))];
    const misquoted = cited.filter(
      (e) => known.has(e.sectionId) && !quoteFound(e.quote, text.get(e.sectionId) ?? ''),
    );
    const ok = cited.length > 0 && unknownIds.length === 0 && misquoted.length === 0;
    add(
      step.key,
      'citations',
      'citations',
      ok,
      unknownIds.length
        ? `cites sections that do not exist: ${unknownIds.join(', ')} (the contract has S1 to S${sections.length})`
        : misquoted.length
          ? `quotes text its section does not contain: ${misquoted.map((e) => `${e.sectionId} "${shorten(e.quote)}"`).join(', ')}`
          : cited.length === 0
            ? 'cites no section'
            : `${cited.length} citation(s), all real and quoted`,
      unknownIds.length + misquoted.length > 0,
    );
  }

  const order = new Map(STEPS.map((s, i) => [s.key, i]));
  fields.sort((a, b) => (order.get(a.step) ?? 0) - (order.get(b.step) ?? 0));
  const stepScores = Object.fromEntries(
    STEPS.map((s) => {
      const mine = fields.filter((f) => f.step === s.key);
      return [s.key, { earned: sum(mine.map((f) => f.earned)), possible: sum(mine.map((f) => f.points)) }];
    }),
  ) as Record<StepKey, StepScore>;
  return {
    fields,
    steps: stepScores,
    earned: sum(fields.map((f) => f.earned)),
    possible: sum(fields.map((f) => f.points)),
    inventedFacts: fields.filter((f) => f.invented).length,
  };
}

/**
 * Expected obligation index -> answer obligation index, one to one: pairs with more alias hits
 * first, so an answer that merges two obligations into one gets credit for only one of them.
 */
export function matchObligations(
  expected: readonly ExpectedObligation[],
  answers: readonly string[],
): Map<number, number> {
  const pairs: { i: number; j: number; hits: number }[] = [];
  expected.forEach((ob, i) => {
    answers.forEach((text, j) => {
      const hits = ob.aliases.filter((a) => contains(text, a)).length;
      if (hits > 0) pairs.push({ i, j, hits });
    });
  });
  pairs.sort((a, b) => b.hits - a.hits || a.i - b.i || a.j - b.j);
  const out = new Map<number, number>();
  const used = new Set<number>();
  for (const { i, j } of pairs) {
    if (out.has(i) || used.has(j)) continue;
    out.set(i, j);
    used.add(j);
  }
  return out;
}

/** Lower case, hyphens and underscores as spaces, "license" spelled "licence", single spaces. */
export function normalizeWords(text: string): string {
  return ` ${text
    .toLowerCase()
    .replace(/licens/g, 'licenc')
    .replace(/[-‐–—_/]/g, ' ')
    .replace(/[^\p{L}\p{N}$%.,' ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()} `;
}

function contains(text: string, alias: string): boolean {
  return normalizeWords(text).includes(normalizeWords(alias).trimEnd());
}

function containsAny(text: string, aliases: readonly string[]): boolean {
  return aliases.some((a) => contains(text, a));
}

function near(actual: number, expected: number, tolerance: number): boolean {
  return Math.abs(actual - expected) <= Math.max(1, Math.abs(expected) * tolerance);
}

function normId(id: string): string {
  return id
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\s+/g, '')
    .toUpperCase();
}

function evidenceIn(value: unknown): { sectionId: string; quote: string }[] {
  if (Array.isArray(value)) return value.flatMap(evidenceIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'evidence' && Array.isArray(v)
      ? v.map((e: { sectionId?: unknown; quote?: unknown }) => ({
          sectionId: normId(String(e?.sectionId ?? '')),
          quote: String(e?.quote ?? ''),
        }))
      : evidenceIn(v),
  );
}

function aliasList(ob: ExpectedObligation): string {
  return ob.aliases.map((a) => `"${a}"`).join(' or ');
}

function shorten(text: string, max = 80): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
function fmt(n: number): string {
  return money.format(n);
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
