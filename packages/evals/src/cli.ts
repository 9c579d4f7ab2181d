/**
 * `pnpm eval [--concurrency N] [--out DIR] [--compare REPORT.json] [--cases id,id]`: runs the
 * memo-quality suite against the configured model (the simulator when OPENAI_API_KEY is unset),
 * prints a case × step table and writes report.json, summary.md and the memos to DIR.
 * Exit codes: 0 the suite ran (whatever the score), 1 every case failed, 2 usage or settings error.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SIMULATED_MODEL } from '@revmemo/config';
import { startModelSimulator } from '@revmemo/model-simulator';
import { CASES } from './cases';
import { compareReports } from './compare';
import { progressLine, renderComparison, renderSummary, renderTable } from './format';
import { EvalReportSchema } from './report';
import { runEval } from './run';
import { readEvalSettings, SettingsError } from './settings';

const USAGE = `usage: pnpm eval [--concurrency N] [--out DIR] [--compare REPORT.json] [--cases id,id,...]
  --concurrency N   cases analysed at once (default 2)
  --out DIR         where report.json, summary.md and memos/ go (default .data/evals/<time>)
  --compare FILE    an earlier report.json: show the cases that got better or worse
  --cases LIST      only these case ids
Model: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL (unset key: the built-in simulator).`;

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        concurrency: { type: 'string', default: '2' },
        out: { type: 'string' },
        compare: { type: 'string' },
        cases: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32)
    return usage('--concurrency must be a whole number from 1 to 32');
  const wanted = typeof values.cases === 'string' ? values.cases.split(',').map((s) => s.trim()) : null;
  const unknown = wanted?.filter((id) => !CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length)
    return usage(`unknown case ids: ${unknown.join(', ')} (known: ${CASES.map((c) => c.id).join(', ')})`);
  const cases = wanted ? CASES.filter((c) => wanted.includes(c.id)) : CASES;

  let earlier = null;
  if (typeof values.compare === 'string') {
    try {
      earlier = EvalReportSchema.parse(JSON.parse(await readFile(values.compare, 'utf8')));
    } catch (err) {
      return usage(
        `--compare ${values.compare}: not a readable report (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }

  let settings: ReturnType<typeof readEvalSettings>;
  try {
    settings = readEvalSettings();
  } catch (err) {
    if (err instanceof SettingsError) return usage(`config error: ${err.message}`);
    throw err;
  }
  const sim = settings.apiKey ? null : await startModelSimulator();
  const target = {
    apiKey: settings.apiKey ?? 'simulator',
    baseUrl: sim ? sim.url : settings.baseUrl,
    model: settings.model,
    // The built-in simulator, or a simulator the operator pointed OPENAI_BASE_URL at.
    simulated: sim !== null || settings.model.startsWith(SIMULATED_MODEL),
    timeoutMs: settings.timeoutMs,
    maxContextTokens: settings.maxContextTokens,
  };
  const outDir = resolve(
    typeof values.out === 'string'
      ? values.out
      : join('.data', 'evals', new Date().toISOString().replace(/[:.]/g, '-')),
  );
  await mkdir(join(outDir, 'memos'), { recursive: true });
  process.stderr.write(
    `evaluating ${cases.length} cases with ${target.model}${sim ? ' (the built-in simulator: OPENAI_API_KEY is unset)' : ` at ${target.baseUrl ?? 'the provider default'}`}, concurrency ${concurrency}\n`,
  );

  const tty = process.stderr.isTTY === true;
  const memos: Promise<void>[] = [];
  let report: Awaited<ReturnType<typeof runEval>>;
  try {
    report = await runEval({
      cases,
      target,
      concurrency,
      onProgress: (p) => {
        if (tty)
          process.stderr.write(`\r\x1b[2K${progressLine(p).slice(0, (process.stderr.columns ?? 120) - 1)}`);
        else if (p.message === 'scored' || p.message.startsWith('failed'))
          process.stderr.write(`${progressLine(p)}\n`);
      },
      onMemo: (id, markdown) => {
        memos.push(writeFile(join(outDir, 'memos', `${id}.md`), markdown));
      },
    });
  } finally {
    if (tty) process.stderr.write('\n');
    await sim?.close();
  }
  await Promise.all(memos);

  const comparison = earlier ? compareReports(earlier, report) : undefined;
  const reportPath = join(outDir, 'report.json');
  const summaryPath = join(outDir, 'summary.md');
  await writeFile(reportPath, `${JSON.stringify(EvalReportSchema.parse(report), null, 2)}\n`);
  await writeFile(summaryPath, renderSummary(report, comparison));

  process.stdout.write(`${renderTable(report)}\n`);
  if (comparison) process.stdout.write(`\n${renderComparison(comparison, 'text').join('\n')}\n`);
  process.stdout.write(`\nreport: ${reportPath}\nsummary: ${summaryPath}\n`);
  return report.cases.every((c) => c.status === 'error') ? 1 : 0;
}

function usage(problem?: string): number {
  if (problem) process.stderr.write(`${problem}\n`);
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
