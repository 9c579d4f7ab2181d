import { MEMO_SECTIONS, MEMO_TITLE, SIMULATED_NOTICE, STEPS } from '@revmemo/engine';
import { expect } from 'vitest';

/** The section headings every memo has, in order (the engine's renderer is the source). */
const S = MEMO_SECTIONS;
export const MEMO_HEADINGS = [
  `# ${MEMO_TITLE}`,
  ...[S.summary, S.keyIssues, S.purpose, S.background, S.documents].map((t) => `## ${t}`),
  ...STEPS.map((s) => `## ${s.title}`),
  ...[
    S.table,
    S.schedule,
    S.disclosures,
    S.assumptions,
    S.openItems,
    S.appendix,
    S.signOff,
    S.disclaimer,
  ].map((t) => `## ${t}`),
];

/** A whole memo from the simulated model: its title, the notice that it is simulated, every section in order. */
export function expectSimulatedMemo(markdown: string | null | undefined) {
  expect(markdown, 'memo content').toEqual(expect.any(String));
  const text = markdown as string;
  expect(text.split('\n').filter((l) => /^##? /.test(l))).toEqual(MEMO_HEADINGS);
  expect(text).toContain(SIMULATED_NOTICE);
}
