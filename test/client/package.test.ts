import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PIPELINE_STAGES } from '@revmemo/contracts';
import { extractText } from '@revmemo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { repoRoot } from '../support/processes';
import { startProductStack } from '../support/stack';
import { createApiKey, type InstalledClient, packAndInstallClient, start } from './support';

const run = promisify(execFile);
const clientDevVersion = async (name: string) =>
  (
    JSON.parse(
      await readFile(join(repoRoot, 'packages/client/node_modules', name, 'package.json'), 'utf8'),
    ) as {
      version: string;
    }
  ).version;

/** What an integrator writes: quote, submit, follow to the end, read the memo, switch on an error. */
const PROGRAM = `
import { readFile } from 'node:fs/promises';
import { createRevmemoClient, RevmemoError, type MemoDraft, type ProgressEvent, type StepKey } from '@revmemo/client';

const [baseUrl, apiKey, contractPath] = process.argv.slice(2) as [string, string, string];
const revmemo = createRevmemoClient({ baseUrl, apiKey });

const quote = await revmemo.quoteFiles([{ filename: 'msa.txt', data: await readFile(contractPath) }]);
const { analysisId } = await revmemo.submit(quote.quoteId);
const events: { id: string; kind: ProgressEvent['kind']; stage: string }[] = [];
for await (const { id, event } of revmemo.follow(analysisId)) events.push({ id, kind: event.kind, stage: event.stage });
const detail = await revmemo.get(analysisId);
const memo: string | null = detail.memoContent;
// The analysis has ended: no draft any more, the memo is get()'s.
const draft: MemoDraft | null = await revmemo.draft(analysisId);
const draftSteps: StepKey[] | null = draft ? draft.finishedSteps : null;

let refusal = '';
try {
  await revmemo.submit(quote.quoteId); // a new idempotency key for a used quote
} catch (err) {
  if (!(err instanceof RevmemoError)) throw err;
  switch (err.info.code) {
    case 'QUOTE_ALREADY_USED': refusal = err.info.code; break;
    case 'INSUFFICIENT_CREDITS': refusal = 'short ' + err.info.shortfall; break;
    default: refusal = 'other ' + err.code;
  }
}
const { available } = await revmemo.balance();
console.log(JSON.stringify({ quote, analysisId, events, status: detail.status, memo, draft, draftSteps, charged: detail.finalChargedCredits, refusal, available }));
`;

/** The same program reading a field the API does not return: the compiler must say so. */
const WRONG = `
import { createRevmemoClient } from '@revmemo/client';
const revmemo = createRevmemoClient({ baseUrl: 'http://localhost:3000', apiKey: 'rvm_x' });
const detail = await revmemo.get('00000000-0000-4000-8000-000000000000');
console.log(detail.memoMarkdown);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    types: ['node'],
    outDir: 'out',
    skipLibCheck: false,
  },
};

let stack: Awaited<ReturnType<typeof startProductStack>>;
let pkg: InstalledClient;

beforeAll(async () => {
  // 15 credits: one analysis of the small contract (10) fits, a second does not.
  // One after the other: on two busy cores a server starting beside a build can miss its start timeout.
  stack = await startProductStack({ latencyMs: 50, extraEnv: { SIGNUP_CREDITS: '15' } });
  pkg = await packAndInstallClient();
  await writeFile(join(pkg.dir, 'msa.txt'), SMALL_CONTRACT);
});
afterAll(async () => {
  await stack?.stop();
  await pkg?.cleanup();
});

describe('the packed @revmemo/client installed outside the workspace', () => {
  it('ships built JavaScript with self-contained types and pulls in no server package', async () => {
    const manifest = JSON.parse(
      await readFile(join(pkg.dir, 'node_modules/@revmemo/client/package.json'), 'utf8'),
    );
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.mts', import: './dist/index.mjs' });
    expect(manifest.bin).toEqual({ revmemo: './dist/cli.mjs' });
    expect(manifest.license).toBeTruthy();
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@trpc/client',
      '@trpc/server',
      'commander',
      'eventsource',
    ]);
    const types = await readFile(join(pkg.dir, 'node_modules/@revmemo/client/dist/index.d.mts'), 'utf8');
    expect(types).not.toMatch(/from ['"]/); // no import at all: every type is inlined
    expect(await readFile(join(pkg.dir, 'node_modules/@revmemo/client/README.md'), 'utf8')).toMatch(
      /## Errors/,
    );
    const { stdout } = await run('pnpm', ['list', '--depth', 'Infinity', '--json'], { cwd: pkg.dir });
    expect(stdout).not.toMatch(
      /@revmemo\/(api|db|queue|config|contracts|engine)|bullmq|drizzle|postgres|ioredis/,
    );
  });

  it('type-checks an integration against the installed types and catches a field the API does not return', async () => {
    await writeFile(join(pkg.dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['program.ts'] }));
    await writeFile(join(pkg.dir, 'program.ts'), PROGRAM);
    await writeFile(
      join(pkg.dir, 'tsconfig.wrong.json'),
      JSON.stringify({ ...TSCONFIG, files: ['wrong.ts'] }),
    );
    await writeFile(join(pkg.dir, 'wrong.ts'), WRONG);
    const [, wrong] = await Promise.all([
      run(pkg.tsc, ['-p', 'tsconfig.json'], { cwd: pkg.dir }),
      run(pkg.tsc, ['-p', 'tsconfig.wrong.json', '--noEmit'], { cwd: pkg.dir }).then(
        () => null,
        (err: { stdout: string }) => err.stdout,
      ),
    ]);
    expect(wrong).toMatch(/wrong\.ts\(5,\d+\): error TS2339: Property 'memoMarkdown' does not exist/);
  }, 240_000);

  it('runs the compiled program against a server: quote, submit, follow to the end, read the memo', async () => {
    const user = await signUp(stack.url);
    const apiKey = await createApiKey(stack.url, user.cookie);
    const { stdout } = await run('node', ['out/program.js', stack.url, apiKey, 'msa.txt'], { cwd: pkg.dir });
    const result = JSON.parse(stdout) as {
      quote: { credits: number };
      events: { id: string; kind: string; stage: string }[];
      status: string;
      memo: string;
      draft: unknown;
      draftSteps: unknown;
      charged: number;
      refusal: string;
      available: number;
    };
    expect(result.events[0]?.kind).toBe('snapshot');
    expect(result.events.at(-1)?.kind).toBe('completed');
    const stages = result.events.filter((e) => e.kind === 'progress').map((e) => e.stage);
    expect(stages).toEqual(PIPELINE_STAGES.slice(PIPELINE_STAGES.length - stages.length));
    expect(new Set(result.events.map((e) => e.id)).size).toBe(result.events.length);
    expect(result.status).toBe('completed');
    expect(result.memo).toContain('Step 1');
    expect(result.draft).toBeNull();
    expect(result.draftSteps).toBeNull();
    expect(result.charged).toBe(result.quote.credits);
    expect(result.refusal).toBe('QUOTE_ALREADY_USED');
    expect(result.available).toBe(15 - result.quote.credits);
  });

  it('the installed revmemo bin analyzes with --yes --json, then refuses a run it cannot pay for', async () => {
    const user = await signUp(stack.url);
    const env = { REVMEMO_URL: stack.url, REVMEMO_API_KEY: await createApiKey(stack.url, user.cookie) };

    const first = await start(pkg.bin, ['analyze', 'msa.txt', '--yes', '--json'], { cwd: pkg.dir, env }).done;
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const doc = JSON.parse(first.stdout) as { status: string; memoPath: string; chargedCredits: number };
    expect(doc.status).toBe('completed');
    expect(doc.memoPath.startsWith(pkg.dir)).toBe(true);
    expect((await stat(doc.memoPath)).size).toBeGreaterThan(0);
    expect(await readFile(doc.memoPath, 'utf8')).toContain('Step 1');

    const second = await start(pkg.bin, ['analyze', 'msa.txt', '--yes', '--json'], { cwd: pkg.dir, env })
      .done;
    const shortfall = doc.chargedCredits - (15 - doc.chargedCredits);
    expect(second.code).toBe(3); // refused, not failed (1) or misused (2)
    expect(JSON.parse(second.stdout)).toMatchObject({ error: { code: 'INSUFFICIENT_CREDITS', shortfall } });
    expect(second.stderr).toContain(`${shortfall} credits missing`);

    // The other commands, on the finished analysis.
    const id = (doc as unknown as { analysisId: string }).analysisId;
    const list = await start(pkg.bin, ['list', '--json'], { cwd: pkg.dir, env }).done;
    expect(JSON.parse(list.stdout).items.map((a: { analysisId: string }) => a.analysisId)).toContain(id);
    const balance = await start(pkg.bin, ['balance', '--json'], { cwd: pkg.dir, env }).done;
    expect(JSON.parse(balance.stdout)).toEqual({ balance: 5, held: 0, available: 5 });
    const cancel = await start(pkg.bin, ['cancel', id], { cwd: pkg.dir, env }).done;
    expect(cancel.code).toBe(3);
    expect(cancel.stderr).toContain('already completed');
    const missing = await start(pkg.bin, ['watch', '00000000-0000-4000-8000-000000000000'], {
      cwd: pkg.dir,
      env,
    }).done;
    expect(missing.code).toBe(4);
    const noDocx = await start(pkg.bin, ['get', id, '--docx'], { cwd: pkg.dir, env }).done;
    expect(noDocx.code).toBe(2);
    expect(noDocx.stderr).toContain('install docx');
    await run('pnpm', ['add', `docx@${await clientDevVersion('docx')}`, '--offline'], { cwd: pkg.dir });
    const word = await start(pkg.bin, ['get', id, '--docx', 'memo.docx', '--json'], { cwd: pkg.dir, env })
      .done;
    expect(word.code).toBe(0);
    const { docxPath } = JSON.parse(word.stdout) as { docxPath: string };
    const { text } = await extractText({
      filename: 'memo.docx',
      data: new Uint8Array(await readFile(docxPath)),
    });
    expect(text).toContain('Step 1');

    const usage = await start(pkg.bin, ['analyze'], { cwd: pkg.dir, env }).done;
    expect(usage.code).toBe(2);
    const unconfirmed = await start(pkg.bin, ['analyze', 'msa.txt'], { cwd: pkg.dir, env }).done;
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
  });
});
