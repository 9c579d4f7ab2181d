import type { SimSection } from '../contract-text';

/** Small text helpers shared by the rules; all deterministic and dependency-free. */

export interface Sentence {
  text: string;
  sectionId: string;
}

export function sentencesOf(sections: SimSection[]): Sentence[] {
  return sections.flatMap((s) =>
    s.text
      // Company suffixes end in a period but do not end the sentence ("Payments, Inc. (").
      .split(/(?<!\b(?:Inc|Ltd|Corp|Co|No|Mr|Ms|Dr|St|e\.g|i\.e)\.)(?<=[.;:])\s+(?=[A-Z0-9"(])|\n+/)
      .map((t) => t.replace(/^\d+(?:\.\d+)*\s+/, '').trim())
      // Headings ("TERM AND TERMINATION") are not sentences; they would match every keyword rule.
      .filter((t) => /\p{Ll}/u.test(t))
      .map((text) => ({ text, sectionId: s.id })),
  );
}

export function amountsIn(text: string): { value: number; index: number }[] {
  return [...text.matchAll(/\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?/g)].map((m) => ({
    value: Number(`${(m[1] ?? '0').replace(/,/g, '')}${m[2] ? `.${m[2]}` : ''}`),
    index: m.index ?? 0,
  }));
}

const WORD_NUMBERS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  eighteen: 18,
  'twenty-four': 24,
  'thirty-six': 36,
  sixty: 60,
};

/** "three (3) years", "24 months", "three-year" -> months. */
export function durationMonths(text: string): number | null {
  const m =
    /\b(?:(\d+)|(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty-four|thirty-six|sixty)(?:\s*\((\d+)\))?)[\s-]+(year|month)s?\b/i.exec(
      text,
    );
  if (!m) return null;
  const n = Number(m[1] ?? m[3] ?? WORD_NUMBERS[(m[2] ?? '').toLowerCase()] ?? Number.NaN);
  if (!Number.isFinite(n)) return null;
  return (m[4] ?? '').toLowerCase() === 'year' ? n * 12 : n;
}

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';
export const DATE_RE = new RegExp(`\\b(?:(?:${MONTHS})\\s+\\d{1,2},\\s+\\d{4}|\\d{4}-\\d{2}-\\d{2})\\b`);

export function shorten(text: string, max = 220): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3).trimEnd()}...` : t;
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
