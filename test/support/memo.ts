import { MEMO_TITLE, SIMULATED_NOTICE, STEPS } from '@revmemo/engine';
import { expect } from 'vitest';

/** The section headings every memo has, in order (the engine's renderer is the source). */
export const MEMO_HEADINGS = [
  `# ${MEMO_TITLE}`,
  '## Purpose',
  '## Background',
  '## Documents reviewed',
  ...STEPS.map((s) => `## ${s.title}`),
  '## Open items',
  '## Disclaimer',
];

/** A whole memo from the simulated model: its title, the notice that it is simulated, every section in order. */
export function expectSimulatedMemo(markdown: string | null | undefined) {
  expect(markdown, 'memo content').toEqual(expect.any(String));
  const text = markdown as string;
  expect(text.split('\n').filter((l) => /^##? /.test(l))).toEqual(MEMO_HEADINGS);
  expect(text).toContain(SIMULATED_NOTICE);
}
