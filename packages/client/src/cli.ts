#!/usr/bin/env node
/**
 * revmemo: analyze contracts from a terminal or a script. `revmemo --help` lists the commands.
 * Settings: --url / REVMEMO_URL (default http://localhost:3000), --api-key / REVMEMO_API_KEY.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, errorJson, exitCodeFor, UsageError } from './cli/exit';
import { createProgressView, formatElapsed } from './cli/progress';
import { createRevmemoClient, type RevmemoClient } from './client';
import { RevmemoError } from './errors';
import type { AnalysisDetail, AnalysisSummary, ProgressEvent } from './types';

// ../package.json from both src/ (workspace) and dist/ (the published build).
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

interface GlobalOpts {
  url: string;
  apiKey?: string;
  json?: boolean;
}

const out = process.stdout;
const print = (s = ''): void => {
  out.write(`${s}\n`);
};
const printJson = (v: unknown): void => {
  out.write(`${JSON.stringify(v)}\n`);
};

function clientFor(g: GlobalOpts): RevmemoClient {
  if (!g.apiKey)
    throw new UsageError(
      'No API key: set REVMEMO_API_KEY or pass --api-key (create one: POST /api/auth/api-key/create while signed in).',
    );
  return createRevmemoClient({
    baseUrl: g.url,
    apiKey: g.apiKey,
    onRetry: (r) => {
      if (!g.json)
        process.stderr.write(
          `server ${r.reason === 'RATE_LIMITED' ? 'rate limit' : r.reason === 'SERVICE_UNAVAILABLE' ? 'unavailable' : 'unreachable'}; retrying in ${Math.ceil(r.delayMs / 1000)}s (${r.attempt}/${r.maxAttempts - 1})\n`,
        );
    },
  });
}

/** Ctrl-C while following: the analysis is the server's, so say how to come back to it. */
function onInterrupt(analysisId: string, stop: () => void) {
  const handler = () => {
    stop();
    process.stderr.write(
      `\nStopped watching. The analysis keeps running on the server; re-attach with:\n  revmemo watch ${analysisId}\n`,
    );
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** Follows to the end with the bar (or JSON lines); returns the terminal event. */
async function followWithView(
  client: RevmemoClient,
  analysisId: string,
  g: GlobalOpts,
  startedAt: number,
  jsonLines: boolean,
): Promise<ProgressEvent | null> {
  const view = g.json ? null : createProgressView(out, startedAt);
  const detach = onInterrupt(analysisId, () => view?.stop());
  let n = 0;
  let last: ProgressEvent | null = null;
  try {
    for await (const p of client.follow(analysisId, {
      onReconnecting: (info) => {
        view?.reconnecting(info);
        if (jsonLines)
          printJson({ type: 'reconnecting', attempt: info.attempt, lastEventId: info.lastEventId ?? null });
      },
      onConnected: () => view?.connected(),
    })) {
      n += 1;
      last = p.event;
      view?.event(p.event);
      if (jsonLines) printJson({ type: 'event', n, id: p.id, ...p.event });
    }
  } finally {
    view?.stop();
    detach();
  }
  return last;
}

async function saveMemo(detail: AnalysisDetail, outPath: string | undefined): Promise<string> {
  if (!detail.memoContent) throw new RevmemoError({ code: 'SERVER_ERROR' }, 'The analysis has no memo.');
  const path = resolve(outPath ?? `memo-${detail.analysisId}.md`);
  await writeFile(path, detail.memoContent);
  return path;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function outcomeError(detail: AnalysisSummary): RevmemoError | null {
  if (detail.status === 'completed') return null;
  return new RevmemoError(
    { code: 'SERVER_ERROR' },
    `The analysis ${detail.status}: ${detail.errorMessage ?? detail.progress.message}`,
  );
}

function summaryLine(a: AnalysisSummary): string {
  const credits = a.finalChargedCredits ?? a.quotedCredits;
  return `${a.analysisId}  ${a.status.padEnd(9)} ${String(a.progress.percent).padStart(3)}%  ${String(credits).padStart(4)} cr  ${a.startedAt.slice(0, 16).replace('T', ' ')}  ${a.fileNames.join(', ')}`;
}

async function analyze(files: string[], o: { context?: string; yes?: boolean; out?: string }, g: GlobalOpts) {
  const client = clientFor(g);
  const uploads = await Promise.all(
    files.map(async (f) => {
      const data = await readFile(f).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`Cannot read ${f}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });
      return { filename: basename(f), data: new Uint8Array(data) };
    }),
  );
  const quote = await client.quoteFiles(uploads, o.context);
  const { available } = await client.balance();
  if (!g.json) {
    print(`${quote.fileNames.join(', ')}: ${quote.wordCount.toLocaleString('en-US')} words`);
    print(
      `Price: ${quote.credits} credits (you have ${available} available; quote valid until ${quote.expiresAt})`,
    );
  }
  if (!o.yes) {
    if (!process.stdin.isTTY || !process.stdout.isTTY || g.json)
      throw new UsageError('Not confirmed: pass --yes to start the analysis without a prompt.');
    if (!(await confirm(`Start the analysis for ${quote.credits} credits? [y/N] `))) {
      print('Not started; nothing was charged.');
      return;
    }
  }
  const submitted = await client.submit(quote.quoteId);
  const startedAt = Date.now();
  if (!g.json)
    print(`Analysis ${submitted.analysisId} started. Ctrl-C stops watching; the analysis keeps running.`);
  await followWithView(client, submitted.analysisId, g, startedAt, false);
  const detail = await client.get(submitted.analysisId);
  const failed = outcomeError(detail);
  if (failed) {
    if (g.json) printJson({ analysisId: detail.analysisId, status: detail.status, ...errorJson(failed) });
    else process.stderr.write(`revmemo: ${failed.message}\n`);
    process.exitCode = EXIT.failure;
    return;
  }
  const memoPath = await saveMemo(detail, o.out);
  if (g.json) {
    printJson({
      analysisId: detail.analysisId,
      status: detail.status,
      memoPath,
      chargedCredits: detail.finalChargedCredits,
      quote,
    });
  } else {
    print(
      `Memo saved to ${memoPath} (charged ${detail.finalChargedCredits} credits, ${formatElapsed(Date.now() - startedAt)}).`,
    );
  }
}

async function watch(id: string, o: { out?: string }, g: GlobalOpts) {
  const client = clientFor(g);
  const before = await client.get(id);
  if (!g.json) print(`Analysis ${id} (${before.fileNames.join(', ')}), ${before.status}`);
  await followWithView(client, id, g, Date.parse(before.startedAt), g.json === true);
  const detail = await client.get(id);
  const failed = outcomeError(detail);
  if (failed) {
    if (g.json) printJson({ type: 'result', analysisId: id, status: detail.status, ...errorJson(failed) });
    else process.stderr.write(`revmemo: ${failed.message}\n`);
    process.exitCode = EXIT.failure;
    return;
  }
  const memoPath = o.out ? await saveMemo(detail, o.out) : null;
  if (g.json) printJson({ type: 'result', analysisId: id, status: detail.status, memoPath });
  else if (memoPath) print(`Memo saved to ${memoPath}.`);
  else print(`The memo is ready: revmemo get ${id} --out memo.md`);
}

/**
 * The memo so far while the analysis runs (finished steps only). Without one, says why: step 1 is
 * still running, or the analysis has ended and `get` has the memo.
 */
async function getDraft(id: string, o: { out?: string }, g: GlobalOpts) {
  const client = clientFor(g);
  const draft = await client.draft(id);
  if (!draft) {
    const { status } = await client.get(id);
    const ended = status !== 'queued' && status !== 'running';
    if (g.json) return printJson({ analysisId: id, status, draft: null });
    return print(
      ended
        ? `No draft: the analysis has ${status}${status === 'completed' ? `; the memo: revmemo get ${id}` : '.'}`
        : `No draft yet: ${status === 'queued' ? 'the analysis is queued' : 'the first step is still running'} (revmemo watch ${id}).`,
    );
  }
  const path = o.out ? resolve(o.out) : null;
  if (path) await writeFile(path, draft.markdown);
  if (g.json) return printJson({ analysisId: id, draft, ...(path && { draftPath: path }) });
  if (path)
    print(`Draft (${draft.finishedSteps.length} of ${draft.totalSteps} steps finished) saved to ${path}.`);
  else print(draft.markdown);
}

async function get(id: string, o: { out?: string; docx?: string | boolean; draft?: boolean }, g: GlobalOpts) {
  if (o.draft) {
    if (o.docx !== undefined) throw new UsageError('--draft and --docx cannot be combined.');
    return getDraft(id, o, g);
  }
  const client = clientFor(g);
  const detail = await client.get(id);
  if (o.docx !== undefined) {
    if (!detail.memoContent)
      throw outcomeError(detail) ?? new RevmemoError({ code: 'SERVER_ERROR' }, 'No memo yet.');
    const path = resolve(typeof o.docx === 'string' ? o.docx : `memo-${id}.docx`);
    const { memoToDocx } = await import('./cli/docx');
    await writeFile(
      path,
      await memoToDocx(detail.memoContent, `ASC 606 memo ${detail.fileNames.join(', ')}`),
    );
    if (g.json) printJson({ ...detail, memoContent: undefined, docxPath: path });
    else print(`Word document saved to ${path}.`);
    return;
  }
  if (o.out) {
    if (!detail.memoContent)
      throw (
        outcomeError(detail) ?? new RevmemoError({ code: 'SERVER_ERROR' }, `No memo yet (${detail.status}).`)
      );
    const memoPath = await saveMemo(detail, o.out);
    if (g.json) printJson({ ...detail, memoContent: undefined, memoPath });
    else print(`Memo saved to ${memoPath}.`);
    return;
  }
  if (g.json) return printJson(detail);
  print(summaryLine(detail));
  if (detail.memoContent) print(`\n${detail.memoContent}`);
  else
    print(
      `${detail.progress.message}${detail.status === 'running' || detail.status === 'queued' ? ` (revmemo watch ${id}; the memo so far: revmemo get ${id} --draft)` : ''}`,
    );
}

export function buildProgram(): Command {
  const program = new Command()
    .name('revmemo')
    .description('Revmemo from a terminal or a script: ASC 606 memos from contracts.')
    .addOption(new Option('--url <url>', 'server URL').env('REVMEMO_URL').default('http://localhost:3000'))
    .addOption(new Option('--api-key <key>', 'API key (rvm_…)').env('REVMEMO_API_KEY'))
    .option('--json', 'print JSON for scripts (JSON lines for watch)')
    .version(VERSION)
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 failed (analysis or server), 2 usage, 3 refused (credits, limits),\n' +
        '4 not found or API key rejected, 130 interrupted (the analysis keeps running).',
    )
    .showHelpAfterError()
    .exitOverride();
  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOpts;

  program
    .command('analyze')
    .description('quote files, confirm, start the analysis and follow it to the memo')
    .argument('<files...>', 'PDF, DOCX or TXT files of one contract')
    .option('--context <text>', 'a note for the analysis (priced with the document)')
    .option('-y, --yes', 'start without asking (scripts)')
    .option('-o, --out <path>', 'where to save the memo (default memo-<id>.md)')
    .action((files: string[], o, cmd: Command) => analyze(files, o, globals(cmd)));
  program
    .command('watch')
    .description('re-attach to an analysis and follow it to its end')
    .argument('<analysisId>')
    .option('-o, --out <path>', 'save the memo here when it is ready')
    .action((id: string, o, cmd: Command) => watch(id, o, globals(cmd)));
  program
    .command('list')
    .description('your analyses, newest first')
    .option('--limit <n>', 'how many (1-100)', (v) => Number.parseInt(v, 10), 20)
    .option('--cursor <cursor>', 'the next page, from the previous output')
    .action(async (o: { limit: number; cursor?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 100)
        throw new UsageError('--limit must be 1-100');
      const page = await clientFor(g).list({ limit: o.limit, cursor: o.cursor });
      if (g.json) return printJson(page);
      if (page.items.length === 0) print('No analyses yet.');
      for (const a of page.items) print(summaryLine(a));
      if (page.nextCursor) print(`more: revmemo list --cursor ${page.nextCursor}`);
    });
  program
    .command('get')
    .description('an analysis and its memo (printed, or saved with --out / --docx)')
    .argument('<analysisId>')
    .option('-o, --out <path>', 'save the memo (Markdown) here')
    .option('--docx [path]', 'save the memo as a Word document (default memo-<id>.docx)')
    .option('--draft', 'while it runs: the memo so far (finished steps only), printed or saved with --out')
    .action((id: string, o, cmd: Command) => get(id, o, globals(cmd)));
  program
    .command('cancel')
    .description('cancel a queued or running analysis (its credits are released)')
    .argument('<analysisId>')
    .action(async (id: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const a = await clientFor(g).cancel(id);
      if (g.json) printJson(a);
      else print(`Analysis ${id} ${a.status}. Nothing was charged.`);
    });
  program
    .command('balance')
    .description('your credits')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const b = await clientFor(g).balance();
      if (g.json) printJson(b);
      else
        print(`${b.available} credits available (balance ${b.balance}, held by running analyses ${b.held})`);
    });
  program
    .command('history')
    .description('your credit ledger, newest first')
    .option('--limit <n>', 'how many (1-100)', (v) => Number.parseInt(v, 10), 20)
    .option('--cursor <cursor>', 'the next page')
    .action(async (o: { limit: number; cursor?: string }, cmd: Command) => {
      const g = globals(cmd);
      const page = await clientFor(g).history({ limit: o.limit, cursor: o.cursor });
      if (g.json) return printJson(page);
      for (const t of page.items)
        print(
          `${t.createdAt.slice(0, 16).replace('T', ' ')}  ${String(t.amount).padStart(6)}  → ${String(t.balanceAfter).padStart(6)}  ${t.description}`,
        );
      if (page.nextCursor) print(`more: revmemo history --cursor ${page.nextCursor}`);
    });
  return program;
}

async function main(argv: string[]) {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; anything else is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (json) printJson(errorJson(err));
    process.stderr.write(`revmemo: ${(err as Error)?.message ?? String(err)}\n`);
    if (
      err instanceof RevmemoError &&
      err.code === 'INSUFFICIENT_CREDITS' &&
      err.info.code === 'INSUFFICIENT_CREDITS'
    )
      process.stderr.write(
        `revmemo: ${err.info.shortfall} credits missing; buy credits in the web app, then run again.\n`,
      );
    process.exitCode = exitCodeFor(err);
  }
}

await main(process.argv);
