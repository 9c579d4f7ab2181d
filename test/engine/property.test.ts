import {
  PROMPT_VERSION,
  prepareDocuments,
  renderMemo,
  reviewAnalysis,
  SIMULATED_NOTICE,
  STEPS,
  type StepResults,
  sectionSources,
} from '@revmemo/engine';
import { instanceFromSchema, seededRandom } from '@revmemo/model-simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureText } from './support/files';
import { headings, memoHeadings, SimHarness } from './support/sim';

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
    // A random step 1 may conclude "no contract yet": then the analysis stops after it.
    const complete = !baseline.structured.endedAtStep1;
    expect(headings(memo)).toEqual(memoHeadings(complete));
    // Escaped characters (CommonMark backslash escapes) render as literal text.
    expect(memo).not.toMatch(/(?<!\\)<script/i);
    expect(memo).not.toMatch(/(?<!\\)\]\(javascript:/i);
    expect(memo).not.toMatch(/(?<!\\)!\[/);
    expect(baseline.analysis.modelCalls).toBe(complete ? 5 : 1);
    // Random evidence is never dropped: every item naming no section or misquoting one is flagged.
    const ids = new Set(baseline.analysis.sections.map((s) => s.id));
    const evidence = (JSON.stringify(baseline.analysis.steps).match(/"sectionId":"[^"]*"/g) ?? []).map(
      (m) => JSON.parse(m.slice('"sectionId":'.length)) as string,
    );
    const unknown = evidence.filter((id) => !ids.has(id.toUpperCase()));
    expect(baseline.structured.flags.filter((f) => f.kind === 'unknown_section')).toHaveLength(
      unknown.length,
    );
  });

  it('marks only simulated memos as simulated', () => {
    const steps = Object.fromEntries(
      STEPS.map((s) => [s.key, instanceFromSchema(s.jsonSchema)]),
    ) as unknown as StepResults;
    const text = '1. A\nx\n2. B\ny\n3. C\nz';
    const { sections, documents } = prepareDocuments(text);
    const sources = sectionSources(sections);
    const input = {
      steps,
      sources,
      documents,
      review: reviewAnalysis(steps, sources),
      additionalContext: null,
      promptVersion: PROMPT_VERSION,
      memoDate: '2026-11-29',
    };
    expect(renderMemo({ ...input, model: 'gpt-4.1', simulated: false })).not.toContain(SIMULATED_NOTICE);
    expect(renderMemo({ ...input, model: 'revmemo-simulated', simulated: true })).toContain(SIMULATED_NOTICE);
  });
});
