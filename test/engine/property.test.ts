import { renderMemo, SIMULATED_NOTICE, STEPS, type StepResults, splitSections } from '@revmemo/engine';
import { instanceFromSchema, seededRandom } from '@revmemo/model-simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureText } from './support/files';
import { headings, SimHarness } from './support/sim';

let h: SimHarness;
beforeAll(async () => {
  h = await SimHarness.start();
});
afterAll(() => h.sim.close());
beforeEach(() => h.reset());

const SEEDS = Array.from({ length: 12 }, (_, i) => `seed-${i}`);

describe('any schema-valid answer renders', () => {
  it('random instances of every step schema satisfy the zod schemas they came from', () => {
    for (let seed = 0; seed < 200; seed++) {
      const random = seededRandom(seed);
      for (const step of STEPS) {
        const instance = instanceFromSchema(step.jsonSchema, random);
        expect(step.schema.safeParse(instance).success, `${step.name} seed ${seed}`).toBe(true);
      }
    }
    // The minimal instance too (empty arrays, nulls, first enum values).
    for (const step of STEPS)
      expect(step.schema.safeParse(instanceFromSchema(step.jsonSchema)).success).toBe(true);
  });

  it.each(SEEDS)('pipeline renders a well-formed memo from random answers (%s)', async (seed) => {
    await h.configure({ answers: 'random', seed });
    const baseline = await h.run(fixtureText('hardware-support'), { model: 'gpt-4.1' });
    const memo = baseline.memoMarkdown;
    // Random answers are full of markdown, HTML and injection text; none of it may change the
    // memo's structure or reach it unescaped.
    const expected = await rulesHeadings();
    expect(headings(memo)).toEqual(expected);
    // Escaped characters (CommonMark backslash escapes) render as literal text.
    expect(memo).not.toMatch(/(?<!\\)<script/i);
    expect(memo).not.toMatch(/(?<!\\)\]\(javascript:/i);
    expect(memo).not.toMatch(/(?<!\\)!\[/);
    expect(baseline.analysis.modelCalls).toBe(5);
    // Citations to ids that are not sections ("S1" may be real; the rest is dropped).
    const ids = new Set(baseline.analysis.sections.map((s) => s.id));
    const cited = JSON.stringify(baseline.analysis.steps).match(/"citations":\[[^\]]*\]/g) ?? [];
    for (const list of cited)
      for (const id of JSON.parse(list.slice('"citations":'.length)) as string[])
        expect(ids.has(id)).toBe(true);
  });

  it('marks only simulated memos as simulated', () => {
    const steps = Object.fromEntries(
      STEPS.map((s) => [s.key, instanceFromSchema(s.jsonSchema)]),
    ) as unknown as StepResults;
    const input = {
      steps,
      sections: splitSections('1. A\nx\n2. B\ny\n3. C\nz'),
      fileNames: [],
      additionalContext: null,
    };
    expect(renderMemo({ ...input, model: 'gpt-4.1', simulated: false })).not.toContain(SIMULATED_NOTICE);
    expect(renderMemo({ ...input, model: 'revmemo-simulated', simulated: true })).toContain(SIMULATED_NOTICE);
  });
});

/** The headings of a memo from the rule-based answers: the structure random answers must keep. */
async function rulesHeadings(): Promise<string[]> {
  await h.configure({ answers: 'rules' });
  const result = await h.run(fixtureText('usage-based'));
  await h.configure({ answers: 'random' });
  return headings(result.memoMarkdown);
}
