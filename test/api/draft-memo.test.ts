import { DRAFT_TITLE, STEPS } from '@revmemo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { expectSimulatedMemo } from '../support/memo';
import { HOLDABLE_STEPS_ENV, holdStep, startProductStack } from '../support/stack';
import { until } from '../support/wait';

/**
 * The draft memo while an analysis runs (docs/memo.md, "Draft while running"): the finished steps'
 * sections, from their checkpoints only, growing step by step, for the owner only. A later step is
 * held by the simulated model answering 429 to it (retried in-step, quickly and without end) until
 * the test lets it through.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({
    extraEnv: HOLDABLE_STEPS_ENV,
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const title = (key: string) => STEPS.find((s) => s.key === key)?.title as string;

/** One `## ` section of a memo, heading included, up to the next `## ` heading. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

const hold = (schemaName: string) => holdStep(stack, schemaName);

describe('analysis.draft', () => {
  it('holds the finished steps while running, grows step by step, is refused to others, and gives way to the memo', async () => {
    const owner = await signUp(stack.url);
    const other = await signUp(stack.url);
    const client = trpcClient(stack.url, owner.cookie);
    const stranger = trpcClient(stack.url, other.cookie);

    await hold('step2');
    const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
    const { analysisId } = await client.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });

    // Step 1 finished, step 2 refused by the model (asked, so it is really under way).
    const first = await until(
      () => client.analysis.draft.query({ analysisId }),
      (d) => !!d && d.finishedSteps.length === 1,
      'a draft with step 1',
    );
    await until(
      async () => (await stack.sim.requests()).filter((r) => r.step?.includes('step2')).length,
      (n) => n >= 2,
      'step 2 asked and refused',
    );
    expect((await client.analysis.get.query({ analysisId })).status).toBe('running');
    expect(first).toMatchObject({ finishedSteps: ['contract'], totalSteps: 5 });
    const draft1 = first?.markdown as string;
    expect(draft1.startsWith(`# ${DRAFT_TITLE}\n`)).toBe(true);
    expect(draft1).toContain('**Draft**: 1 of 5 steps finished.');
    expect(section(draft1, title('contract'))).toContain('### Conclusion');
    for (const key of ['obligations', 'price', 'allocation', 'recognition'])
      expect(section(draft1, title(key)), key).toMatch(/Pending: this step/);

    // Another user cannot read it, exactly as with analysis.get.
    await expect(stranger.analysis.draft.query({ analysisId })).rejects.toMatchObject({
      data: { httpStatus: 404, code: 'NOT_FOUND' },
    });

    // Step 2 goes through, step 3 is held: the draft grows by step 2 and keeps step 1 as it was.
    await hold('step3');
    const second = await until(
      () => client.analysis.draft.query({ analysisId }),
      (d) => !!d && d.finishedSteps.length === 2,
      'a draft with steps 1 and 2',
      60_000,
    );
    expect(second?.finishedSteps).toEqual(['contract', 'obligations']);
    const draft2 = second?.markdown as string;
    expect(section(draft2, title('contract'))).toBe(section(draft1, title('contract')));
    expect(section(draft2, title('obligations'))).toContain('### Conclusion');
    expect(section(draft2, title('price'))).toMatch(/Pending: this step/);

    // Let everything through: the analysis completes and the draft is gone.
    await stack.sim.reset();
    const done = await until(
      () => client.analysis.get.query({ analysisId }),
      (a) => a.status === 'completed',
      'the analysis to complete',
      60_000,
    );
    expect(await client.analysis.draft.query({ analysisId })).toBeNull();
    const memo = done.memoContent as string;
    expectSimulatedMemo(memo);
    // The draft's sections are the memo's, word for word; nothing of a step appeared before it finished.
    expect(section(memo, title('contract'))).toBe(section(draft1, title('contract')));
    expect(section(memo, title('obligations'))).toBe(section(draft2, title('obligations')));
    const conclusion = (md: string, key: string) =>
      section(md, title(key)).split('### Conclusion')[1]?.trim();
    for (const key of ['obligations', 'price', 'allocation', 'recognition'])
      expect(draft1, key).not.toContain(conclusion(memo, key));
    for (const key of ['price', 'allocation', 'recognition'])
      expect(draft2, key).not.toContain(conclusion(memo, key));
  }, 180_000);

  it('is refused without a session and is null before any step finished', async () => {
    const anonymous = trpcClient(stack.url);
    await expect(anonymous.analysis.draft.query({ analysisId: crypto.randomUUID() })).rejects.toMatchObject({
      data: { httpStatus: 401 },
    });
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    await expect(client.analysis.draft.query({ analysisId: crypto.randomUUID() })).rejects.toMatchObject({
      data: { httpStatus: 404 },
    });
    // Step 1 held: the analysis runs but has nothing to show yet.
    await hold('step1');
    const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'held.txt' });
    const { analysisId } = await client.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    await until(
      async () => (await stack.sim.requests()).filter((r) => r.step?.includes('step1')).length,
      (n) => n >= 2,
      'step 1 asked and refused',
    );
    expect(await client.analysis.draft.query({ analysisId })).toBeNull();
    await stack.sim.reset();
    await until(
      () => client.analysis.get.query({ analysisId }),
      (a) => a.status === 'completed',
      'the analysis to complete',
      60_000,
    );
  }, 120_000);
});
