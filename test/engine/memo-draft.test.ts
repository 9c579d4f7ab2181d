import { DRAFT_TITLE, renderDraftMemo, STEPS, type StepDone } from '@revmemo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile, fixtureText } from './support/files';
import { SimHarness } from './support/sim';

/**
 * The draft memo (docs/memo.md, "Draft while running"): built from the checkpointed step answers
 * alone, its step sections are the final memo's word for word, and an answer that does not fit its
 * schema ends it there.
 */
let h: SimHarness;
beforeAll(async () => {
  h = await SimHarness.start();
});
afterAll(async () => {
  await h?.sim.close();
});

/** One `## ` section of a memo, heading included, up to the next `## ` heading. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

async function runWithCheckpoints(text: string) {
  const done: StepDone[] = [];
  const result = await h.run(text, { onStepDone: async (d) => void done.push(d) });
  const rows = done.map((d) => ({ step: d.key, result: d.result, model: 'revmemo-simulated' }));
  return { result, rows };
}

describe('renderDraftMemo', () => {
  it('shows the finished steps as the memo will, the rest pending, growing step by step', async () => {
    const text = fixtureText('saas-subscription');
    const { result, rows } = await runWithCheckpoints(text);
    expect(rows.map((r) => r.step)).toEqual(STEPS.map((s) => s.key));
    const input = { documentText: text, fileNames: ['contract.txt'], additionalContext: null };

    expect(renderDraftMemo({ ...input, steps: [] })).toBeNull();
    for (let n = 1; n <= STEPS.length; n++) {
      const draft = renderDraftMemo({ ...input, steps: rows.slice(0, n) });
      expect(draft?.finishedSteps).toEqual(STEPS.slice(0, n).map((s) => s.key));
      expect(draft?.totalSteps).toBe(5);
      const md = draft?.markdown as string;
      expect(md.startsWith(`# ${DRAFT_TITLE}\n`)).toBe(true);
      expect(md).toContain(`${n} of 5 steps finished`);
      STEPS.forEach((step, i) => {
        if (i < n) expect(section(md, step.title), step.key).toBe(section(result.memoMarkdown, step.title));
        else expect(section(md, step.title), step.key).toContain('Pending: this step');
      });
    }
  });

  it('stops at an answer that no longer fits its schema, whatever was saved after it', async () => {
    const text = fixtureText('saas-subscription');
    const { rows } = await runWithCheckpoints(text);
    const [contract, obligations, ...rest] = rows;
    const broken = {
      ...obligations,
      result: { ...(obligations?.result as object), performanceObligations: 'x' },
    };
    const draft = renderDraftMemo({
      documentText: text,
      fileNames: ['contract.txt'],
      additionalContext: null,
      steps: [contract, broken, ...rest] as typeof rows,
    });
    expect(draft?.finishedSteps).toEqual(['contract']);
    for (const step of STEPS.slice(1))
      expect(section(draft?.markdown as string, step.title)).toContain('Pending');
  });

  it('after "no contract yet" has one step to show and none pending', async () => {
    const text = fixtureFile('unsigned-draft.txt');
    const { rows } = await runWithCheckpoints(text);
    const draft = renderDraftMemo({
      documentText: text,
      fileNames: ['draft.txt'],
      additionalContext: null,
      steps: rows,
    });
    expect(draft).toMatchObject({ finishedSteps: ['contract'], totalSteps: 1 });
    expect(draft?.markdown).not.toContain(STEPS[1]?.title);
  });
});
