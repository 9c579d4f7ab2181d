import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRevmemoClient, type MemoDraft, RevmemoError } from '@revmemo/client';
import { DRAFT_TITLE } from '@revmemo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { repoRoot } from '../support/processes';
import { HOLDABLE_STEPS_ENV, holdStep, startProductStack } from '../support/stack';
import { until } from '../support/wait';
import { createApiKey, start } from './support';

/**
 * The client's draft() and `revmemo get --draft` (docs/memo.md, "Draft while running") against a
 * real stack: step 2 is held by the simulated model answering 429 to it (retried in-step, quickly
 * and without end) until the test lets it through, so the draft holds step 1 only.
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

async function integrator() {
  const user = await signUp(stack.url);
  const apiKey = await createApiKey(stack.url, user.cookie);
  return {
    sdk: createRevmemoClient({ baseUrl: stack.url, apiKey }),
    env: { REVMEMO_URL: stack.url, REVMEMO_API_KEY: apiKey },
  };
}

/** The CLI from its source, in a pipe, as follow-partials.test.ts runs it. */
const revmemo = (args: string[], env: Record<string, string>) =>
  start('node', ['--import', 'tsx', 'packages/client/src/cli.ts', ...args], { cwd: repoRoot, env }).done;

const hold = (schemaName: string) => holdStep(stack, schemaName);

describe('client.draft', () => {
  it('returns step 1 only while step 2 is held, null once completed, and NOT_FOUND to another user', async () => {
    const { sdk, env } = await integrator();
    const { sdk: stranger } = await integrator();

    await hold('step2');
    const { analysisId } = await sdk.submit((await sdk.quoteText(SMALL_CONTRACT)).quoteId);
    const first = await until(
      () => sdk.draft(analysisId),
      (d) => d !== null,
      'a draft with step 1',
      60_000,
    );
    await until(
      async () => (await stack.sim.requests()).filter((r) => r.step?.includes('step2')).length,
      (n) => n >= 2,
      'step 2 asked and refused',
    );
    // Still running, and the draft has not moved past step 1.
    expect((await sdk.get(analysisId)).status).toBe('running');
    const held: MemoDraft | null = await sdk.draft(analysisId);
    expect(held).toEqual(first);
    expect(first).toMatchObject({ finishedSteps: ['contract'], totalSteps: 5 });
    expect(first?.markdown.startsWith(`# ${DRAFT_TITLE}\n`)).toBe(true);
    expect(first?.markdown).toContain('**Draft**: 1 of 5 steps finished.');
    expect(first?.markdown).toMatch(/Pending: this step/);

    // Another user's analysis is a typed NOT_FOUND, as with get().
    const refused = await stranger.draft(analysisId).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RevmemoError);
    expect(refused).toMatchObject({ code: 'NOT_FOUND', info: { code: 'NOT_FOUND' }, status: 404 });
    await expect(sdk.draft(crypto.randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // The CLI prints the same draft, saves it with --out, and gives it as JSON.
    const printed = await revmemo(['get', analysisId, '--draft'], env);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(`${first?.markdown}\n`);
    const path = join(tmpdir(), `revmemo-draft-${analysisId}.md`);
    const saved = await revmemo(['get', analysisId, '--draft', '--out', path], env);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain('1 of 5 steps finished');
    expect(await readFile(path, 'utf8')).toBe(first?.markdown);
    const json = await revmemo(['get', analysisId, '--draft', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual({ analysisId, draft: first });
    const foreign = await revmemo(['get', crypto.randomUUID(), '--draft'], env);
    expect(foreign.code).toBe(4);

    // Let everything through: once completed there is no draft; the memo is get()'s.
    await stack.sim.reset();
    const done = await sdk.waitForResult(analysisId, { timeoutMs: 120_000, partials: false });
    expect(done.status).toBe('completed');
    expect(done.memoContent).not.toContain(DRAFT_TITLE);
    expect(await sdk.draft(analysisId)).toBeNull();
    const after = await revmemo(['get', analysisId, '--draft', '--json'], env);
    expect(JSON.parse(after.stdout)).toEqual({ analysisId, status: 'completed', draft: null });
  }, 240_000);
});
