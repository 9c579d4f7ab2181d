import { describePartial, isCutOff, parsePartialJson, STEPS, type StepResults } from '@revmemo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText } from './support/files';
import { SimHarness } from './support/sim';

/** Real answers: what the simulated model streamed for one contract, step by step. */
let answers: Record<keyof StepResults, string>;
let obligations: number;
let h: SimHarness;
beforeAll(async () => {
  h = await SimHarness.start();
  const result = await h.run(fixtureText('saas-subscription'));
  const { requests } = await h.stats();
  answers = Object.fromEntries(STEPS.map((s, i) => [s.key, requests[i]?.content ?? ''])) as typeof answers;
  obligations = result.structured.steps.obligations?.performanceObligations.length ?? 0;
});
afterAll(() => h.sim.close());

/** Every prefix of `text`, cut at each character. */
function prefixes(text: string): string[] {
  return Array.from({ length: text.length + 1 }, (_, i) => text.slice(0, i));
}

describe('parsePartialJson', () => {
  it('reads a complete document as JSON.parse does', () => {
    for (const text of Object.values(answers)) expect(parsePartialJson(text)).toEqual(JSON.parse(text));
    expect(parsePartialJson('{"a": [1, -2.5e3, true, false, null, "x\\"y\\u00e9\\n"]}')).toEqual({
      a: [1, -2500, true, false, null, 'x"yé\n'],
    });
  });

  it('closes what is open and leaves out what may still grow', () => {
    expect(parsePartialJson('')).toBeUndefined();
    expect(parsePartialJson('{')).toEqual({});
    expect(parsePartialJson('{"par')).toEqual({});
    expect(parsePartialJson('{"parties"')).toEqual({});
    expect(parsePartialJson('{"parties": ')).toEqual({});
    expect(parsePartialJson('{"parties": [{"name": "Acme Co')).toEqual({ parties: [{ name: 'Acme Co' }] });
    expect(parsePartialJson('{"amount": 1200')).toEqual({});
    expect(parsePartialJson('{"amount": 1200,')).toEqual({ amount: 1200 });
    expect(parsePartialJson('{"ok": tr')).toEqual({});
    expect(parsePartialJson('{"ok": null')).toEqual({ ok: null });
    expect(parsePartialJson('["a\\')).toEqual(['a']);
    expect(parsePartialJson('["\\u00')).toEqual(['']);
    expect(parsePartialJson('[1, 2')).toEqual([1]);
  });

  it('tells a finished object or array from one the text stopped inside', () => {
    const value = parsePartialJson('{"rows": [{"a": 1}, {"a": 2') as { rows: object[] };
    expect(isCutOff(value)).toBe(true);
    expect(isCutOff(value.rows)).toBe(true);
    expect(isCutOff(value.rows[0])).toBe(false);
    expect(isCutOff(value.rows[1])).toBe(true);
    expect(isCutOff(parsePartialJson('{"a": [1]}'))).toBe(false);
  });

  it('never throws, and at every prefix of a real answer gives a value the full answer extends', () => {
    const wrong: string[] = [];
    for (const text of Object.values(answers)) {
      const full = JSON.parse(text) as unknown;
      for (const prefix of prefixes(text)) {
        const partial = parsePartialJson(prefix);
        const fits = prefix.trim() === '' ? partial === undefined : extends_(full, partial);
        if (!fits) wrong.push(prefix.slice(-60));
      }
    }
    expect(wrong).toEqual([]);
  });

  it('gives nothing for text that is not JSON', () => {
    expect(parsePartialJson('I cannot help with that')).toBeUndefined();
    expect(parsePartialJson('{"this is": not valid JSON')).toBeUndefined();
  });
});

/** `full` agrees with `partial` as far as it goes: the same keys and items, its strings a prefix. */
function extends_(full: unknown, partial: unknown): boolean {
  if (typeof partial === 'string') return typeof full === 'string' && full.startsWith(partial);
  if (Array.isArray(partial))
    return (
      Array.isArray(full) && partial.length <= full.length && partial.every((x, i) => extends_(full[i], x))
    );
  if (typeof partial === 'object' && partial !== null) {
    if (typeof full !== 'object' || full === null) return false;
    return Object.entries(partial).every(
      ([key, value]) => key in full && extends_((full as Record<string, unknown>)[key], value),
    );
  }
  return partial === full;
}

describe('describePartial', () => {
  /** The distinct findings, in order, as the answer to `key` arrives one character at a time. */
  function story(key: keyof StepResults): (string | null)[] {
    const told: (string | null)[] = [];
    for (const prefix of prefixes(answers[key])) {
      const finding = describePartial(key, prefix, obligations);
      if (told.at(-1) !== finding) told.push(finding);
    }
    return told;
  }

  it('step 1: the parties, the term, the criteria, then the contract', () => {
    const told = story('contract');
    expect(told[0]).toBeNull();
    expect(told).toContain('Parties: Northwind Analytics, Inc.');
    expect(told).toContain('Parties: Northwind Analytics, Inc. and Bluefin Retail LLC; 36-month term');
    expect(told.some((f) => f?.includes('2 of 5 contract criteria met so far'))).toBe(true);
    expect(told.at(-1)).toMatch(/; contract identified$/);
  });

  it('step 2: goods found, then obligations identified so far, then the judgements', () => {
    const told = story('obligations');
    expect(told).toContain('2 promised goods or services found so far');
    expect(told).toContain('1 performance obligation identified so far');
    expect(told).toContain('2 performance obligations identified');
    expect(told.at(-1)).toBe('2 performance obligations identified; 8 of 8 judgements made');
    // Never a half-written obligation counted, never "0 obligations".
    expect(told.some((f) => f?.startsWith('0 '))).toBe(false);
  });

  it('step 3: the fixed consideration, the variable part, then the transaction price', () => {
    const told = story('price');
    expect(told).toContain('transaction price: USD 390,000 fixed, variable part being assessed');
    expect(told.at(-1)).toBe('transaction price: USD 390,000');
    // A number is shown only when written in full: no "USD 39" on the way to 390,000.
    const amounts = told.flatMap((f) => f?.match(/USD [\d,]+/g) ?? []);
    expect(amounts.every((a) => ['USD 360,000', 'USD 390,000'].includes(a))).toBe(true);
  });

  it('steps 4 and 5: how many of step 2’s obligations are done', () => {
    expect(story('allocation')).toEqual([
      null,
      'allocating the price to 2 obligations',
      'allocated to 1 of 2 obligations so far',
      'allocated to both obligations',
      'price allocated to both obligations',
    ]);
    const recognition = story('recognition');
    expect(recognition).toContain('timing decided for 1 of 2 obligations so far');
    expect(recognition.at(-1)).toBe('timing decided for both obligations');
  });

  it('names at most three parties, and only once each name is written in full', () => {
    const party = (name: string) => `{"evidence": [], "name": "${name}", "role": "other"}`;
    expect(describePartial('contract', `{"parties": [{"evidence": [], "name": "Acme Hold`)).toBeNull();
    expect(describePartial('contract', `{"parties": [${party('A')}, ${party('B')}, ${party('C')}`)).toBe(
      'Parties: A, B and C',
    );
    const four = ['A', 'B', 'C', 'D'].map(party).join(', ');
    expect(describePartial('contract', `{"parties": [${four}]`)).toBe('Parties: A, B and 2 others');
  });

  it('counts against step 2’s obligations: one, or none', () => {
    const row =
      '{"evidence": [], "performanceObligationId": "PO1", "sspBasis": "residual", "rationale": "r", "standaloneSellingPrice": null, "allocatedAmount": 10}';
    expect(describePartial('allocation', '{"allocations": [', 1)).toBe(
      'allocating the price to 1 obligation',
    );
    expect(describePartial('allocation', `{"allocations": [${row}`, 1)).toBe(
      'allocated to the one obligation',
    );
    expect(describePartial('allocation', `{"allocations": [${row}]`, 1)).toBe(
      'price allocated to the one obligation',
    );
    expect(describePartial('allocation', '{"allocations": [', 0)).toBeNull();
    expect(describePartial('recognition', '{"recognition": [', 0)).toBeNull();
  });

  it('reads any text without throwing', () => {
    for (const step of STEPS) {
      expect(describePartial(step.key, 'not json at all')).toBeNull();
      expect(describePartial(step.key, '[1, 2')).toBeNull();
    }
  });
});
