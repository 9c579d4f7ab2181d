#!/usr/bin/env -S node --import tsx
/**
 * revmemo: analyze contracts from a terminal or a script.
 *   revmemo analyze contract.pdf [more files] [--context "…"] [--yes] [--out memo.md]
 *   revmemo status <analysisId>        revmemo balance
 * Settings: --url / REVMEMO_URL (default http://localhost:3000), --api-key / REVMEMO_API_KEY.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readEnv } from '@revmemo/config';
import { createRevmemoClient } from './client';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    'api-key': { type: 'string' },
    context: { type: 'string' },
    out: { type: 'string' },
    yes: { type: 'boolean', short: 'y', default: false },
  },
});
const env = readEnv();
const client = createRevmemoClient({
  baseUrl: values.url ?? env.REVMEMO_URL ?? 'http://localhost:3000',
  apiKey: values['api-key'] ?? env.REVMEMO_API_KEY,
});
const [command, ...args] = positionals;

async function analyze(files: string[]) {
  if (files.length === 0) throw new Error('usage: revmemo analyze <file.pdf|docx|txt>… [--yes]');
  const uploads = await Promise.all(
    files.map(async (f) => ({ filename: basename(f), data: new Uint8Array(await readFile(f)) })),
  );
  const quote = await client.quoteFiles(uploads, values.context);
  const { available } = await client.balance();
  process.stdout.write(
    `${quote.wordCount} words: ${quote.credits} credits (you have ${available} available)\n`,
  );
  if (!values.yes) {
    process.stdout.write('Run again with --yes to confirm and start the analysis.\n');
    return;
  }
  const submitted = await client.submit(quote.quoteId);
  process.stdout.write(
    `analysis ${submitted.analysisId} queued; Ctrl-C is safe, it keeps running on the server\n`,
  );
  const result = await client.waitForResult(submitted.analysisId, (e) => {
    process.stdout.write(`  ${String(e.percent).padStart(3)}%  ${e.message}\n`);
  });
  if (result.status !== 'completed' || !result.memoContent) {
    throw new Error(`analysis ${result.status}: ${result.errorMessage ?? 'no memo'}`);
  }
  const out = values.out ?? `memo-${submitted.analysisId}.md`;
  await writeFile(out, result.memoContent);
  process.stdout.write(`memo saved to ${out}; charged ${result.finalChargedCredits} credits\n`);
}

async function main() {
  if (command === 'analyze') return analyze(args);
  if (command === 'status' && args[0]) {
    const a = await client.get(args[0]);
    process.stdout.write(`${a.status} ${a.progress.percent}% ${a.progress.message}\n`);
    return;
  }
  if (command === 'balance') {
    const b = await client.balance();
    process.stdout.write(`balance ${b.balance}, held ${b.held}, available ${b.available}\n`);
    return;
  }
  throw new Error('usage: revmemo analyze <files…> [--yes] | status <analysisId> | balance');
}

main().catch((err: Error) => {
  process.stderr.write(`revmemo: ${err.message}\n`);
  process.exit(1);
});
