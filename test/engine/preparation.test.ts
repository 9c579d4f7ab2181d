import {
  ContractTooLongError,
  checkTokenBudget,
  countTokens,
  PermanentAnalysisError,
  splitSections,
} from '@revmemo/engine';
import { describe, expect, it } from 'vitest';
import { FIXTURE_NAMES, fixtureText } from './support/files';

describe('splitSections', () => {
  it.each(FIXTURE_NAMES)('%s: numbered clauses become S1..Sn, covering the whole text', (name) => {
    const text = fixtureText(name);
    const sections = splitSections(text);
    expect(sections.length).toBeGreaterThan(10);
    expect(sections.map((s) => s.id)).toEqual(sections.map((_, i) => `S${i + 1}`));
    // Nothing is lost: every word of the contract is in some section, in order.
    expect(
      sections
        .map((s) => s.text)
        .join(' ')
        .split(/\s+/),
    ).toEqual(text.trim().split(/\s+/));
    expect(splitSections(text)).toEqual(sections);
  });

  it('folds a bare heading into the clause that follows it', () => {
    const sections = splitSections(
      '1. FEES\n1.1 Customer pays $10.\n1.2 Invoices are due in 30 days.\n2. TERM\n2.1 One year.',
    );
    expect(sections.map((s) => [s.id, s.label, s.text.split('\n')[0]])).toEqual([
      ['S1', '1', '1. FEES'],
      ['S2', '1.2', '1.2 Invoices are due in 30 days.'],
      ['S3', '2', '2. TERM'],
    ]);
  });

  it('falls back to paragraph chunks for unstructured text, and splits long sections', () => {
    const para = (n: number) => Array.from({ length: 120 }, (_, i) => `word${n}_${i}`).join(' ');
    const unstructured = splitSections([1, 2, 3, 4, 5].map(para).join('\n\n'));
    expect(unstructured.length).toBe(2); // 360 words, then the remaining 240
    expect(unstructured.every((s) => s.label === null)).toBe(true);
    const long = splitSections(
      `1. A\n${para(1)} ${para(2)} ${para(3)} ${para(4)} ${para(5)} ${para(6)}\n2. B\nshort\n3. C\nshort`,
    );
    expect(long.length).toBeGreaterThan(3);
  });
});

describe('token budget', () => {
  it('counts o200k tokens and throws ContractTooLongError over budget', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
    expect(checkTokenBudget('hello world', 2)).toBe(2);
    const err = (() => {
      try {
        checkTokenBudget('hello world again', 2);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ContractTooLongError);
    expect(err).toBeInstanceOf(PermanentAnalysisError);
    expect(err).toMatchObject({ code: 'contract_too_long', tokens: 3, maxTokens: 2 });
  });
});
