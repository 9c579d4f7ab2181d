import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRevmemoClient } from '@revmemo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { PROGRESS_REQUEST, resumedFrom, startCutProxy } from '../support/cut-proxy';
import { expectSimulatedMemo } from '../support/memo';
import { repoRoot } from '../support/processes';
import {
  expectEveryStageOnce,
  expectNeverBack,
  expectResumedAfter,
  type Received,
} from '../support/progress';
import { startProductStack } from '../support/stack';

/** tsx's loader by absolute URL: the CLI runs in a scratch folder, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;

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
    const first: Received[] = [];
    for await (const p of client.follow(analysisId)) {
      first.push({ id: p.id, event: p.event });
      if (p.event.stage === 'obligations') break;
    }
    const rest: Received[] = [];
    for await (const p of client.follow(analysisId, { lastEventId: first.at(-1)?.id })) {
      rest.push({ id: p.id, event: p.event });
    }
    expectResumedAfter(first, rest);
    expectEveryStageOnce([...first, ...rest]);
    expect(rest.at(-1)?.event.kind).toBe('completed');
  });

  it('follow() reconnects by itself when the stream is cut, from the last event id it had', async () => {
    const proxy = await startCutProxy();
    proxy.forwardTo(stack.url);
    try {
      const user = await signUp(stack.url);
      const client = createRevmemoClient({ baseUrl: proxy.url, apiKey: await createApiKey(user.cookie) });
      const quote = await client.quoteText(SMALL_CONTRACT);
      const { analysisId } = await client.submit(quote.quoteId);
      const seen: Received[] = [];
      let cut = 0;
      for await (const p of client.follow(analysisId)) {
        seen.push({ id: p.id, event: p.event });
        // The network drops under the integration mid-analysis; it keeps iterating as if nothing happened.
        if (cut === 0 && p.event.kind === 'progress') cut = proxy.cut(PROGRESS_REQUEST);
      }
      expect(cut, 'progress streams cut').toBe(1);
      const streams = proxy.requests().filter((h) => PROGRESS_REQUEST.test(h));
      expect(streams.length, streams.join('\n---\n')).toBeGreaterThanOrEqual(2);
      // The reconnect asked for what came after an event it had received; no second snapshot.
      const from = resumedFrom(streams[1] as string);
      expect(seen.map((e) => e.id)).toContain(from);
      expect(seen.filter((e) => e.event.kind === 'snapshot')).toHaveLength(1);
      expectNeverBack(seen);
      expectEveryStageOnce(seen);
      expect(seen.at(-1)?.event.kind).toBe('completed');
      expect((await client.get(analysisId)).status).toBe('completed');
    } finally {
      await proxy.close();
    }
  });

  it('the revmemo CLI: `analyze <file> --yes` runs an analysis and produces its memo', async () => {
    const user = await signUp(stack.url);
    const apiKey = await createApiKey(user.cookie);
    const dir = await mkdtemp(join(tmpdir(), 'revmemo-cli-'));
    await writeFile(join(dir, 'msa.txt'), SMALL_CONTRACT);
    const cli = spawn(
      process.execPath,
      [
        '--import',
        TSX,
        join(repoRoot, 'packages/client/src/cli.ts'),
        'analyze',
        'msa.txt',
        '--yes',
        '--url',
        stack.url,
      ],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, REVMEMO_API_KEY: apiKey } },
    );
    let output = '';
    cli.stdout.on('data', (d) => {
      output += String(d);
    });
    cli.stderr.on('data', (d) => {
      output += String(d);
    });
    const code = await new Promise<number | null>((r) => cli.on('exit', r));
    expect(code, output).toBe(0);
    const [analysis] = (await createRevmemoClient({ baseUrl: stack.url, apiKey }).list()).items;
    expect(analysis?.status).toBe('completed');
    const { memoContent } = await createRevmemoClient({ baseUrl: stack.url, apiKey }).get(
      analysis?.analysisId as string,
    );
    expectSimulatedMemo(memoContent);
    // The memo reached the terminal: printed, or written to a file in the working folder.
    const written = await Promise.all(
      (await readdir(dir)).filter((f) => f.endsWith('.md')).map((f) => readFile(join(dir, f), 'utf8')),
    );
    expect(
      [output, ...written].some((text) => text.includes(memoContent as string)),
      output,
    ).toBe(true);
  });

  it('refuses a wrong API key as UNAUTHORIZED', async () => {
    const client = createRevmemoClient({ baseUrl: stack.url, apiKey: 'rvm_not_a_real_key' });
    await expect(client.balance()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });
});
