import { createRevmemoClient } from '@revmemo/client';
import { PIPELINE_STAGES } from '@revmemo/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';

let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({ latencyMs: 100 });
});
afterAll(async () => {
  await stack?.stop();
});

async function createApiKey(cookie: string): Promise<string> {
  const res = await fetch(`${stack.url}/api/auth/api-key/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: stack.url },
    body: JSON.stringify({ name: 'ci integration' }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { key: string };
  expect(body.key).toMatch(/^rvm_/);
  return body.key;
}

describe('the typed client for integrations (API key auth)', () => {
  it('uploads a file, submits, follows progress to the end and gets the memo', async () => {
    const user = await signUp(stack.url);
    const client = createRevmemoClient({ baseUrl: stack.url, apiKey: await createApiKey(user.cookie) });
    const quote = await client.quoteFiles([
      { filename: 'msa.txt', data: new TextEncoder().encode(SMALL_CONTRACT) },
    ]);
    expect(quote.fileNames).toEqual(['msa.txt']);
    const submitted = await client.submit(quote.quoteId);
    const seen: string[] = [];
    const result = await client.waitForResult(submitted.analysisId, (e) => seen.push(e.kind));
    expect(seen[0]).toBe('snapshot');
    expect(seen.at(-1)).toBe('completed');
    expect(result.status).toBe('completed');
    expect(result.memoContent).toContain('Step 1');
    expect(result.finalChargedCredits).toBe(quote.credits);
  });

  it('resumes follow() from a last event id without repeating or missing a stage', async () => {
    const user = await signUp(stack.url);
    const client = createRevmemoClient({ baseUrl: stack.url, apiKey: await createApiKey(user.cookie) });
    const quote = await client.quoteText(SMALL_CONTRACT);
    const { analysisId } = await client.submit(quote.quoteId);
    const first: { id: string; stage: string; kind: string }[] = [];
    for await (const p of client.follow(analysisId)) {
      first.push({ id: p.id, stage: p.event.stage, kind: p.event.kind });
      if (p.event.stage === 'obligations') break;
    }
    const rest: { stage: string; kind: string }[] = [];
    for await (const p of client.follow(analysisId, { lastEventId: first.at(-1)?.id })) {
      rest.push({ stage: p.event.stage, kind: p.event.kind });
    }
    const stages = [...first, ...rest].filter((e) => e.kind === 'progress').map((e) => e.stage);
    expect(new Set(stages).size).toBe(stages.length);
    expect(stages).toEqual(
      PIPELINE_STAGES.slice(PIPELINE_STAGES.indexOf(stages[0] as (typeof PIPELINE_STAGES)[number])),
    );
    expect(rest.at(-1)?.kind).toBe('completed');
  });

  it('refuses a wrong API key as UNAUTHORIZED', async () => {
    const client = createRevmemoClient({ baseUrl: stack.url, apiKey: 'rvm_not_a_real_key' });
    await expect(client.balance()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });
});
