import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CASES, type EvalReport, EvalReportSchema } from '@revmemo/evals';
import { startModelSimulator } from '@revmemo/model-simulator';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');

/** `pnpm eval` as a process, with only the environment given (no model variables unless passed). */
function runEvalCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/evals/src/cli.ts', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('pnpm eval against the built-in simulator', () => {
  let out: string;
  let run: Awaited<ReturnType<typeof runEvalCli>>;
  let report: EvalReport;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'revmemo-eval-'));
    run = await runEvalCli(['--out', out, '--concurrency', '3']);
    report = EvalReportSchema.parse(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
  }, 180_000);

  it('runs every case end to end and writes a report valid against its schema', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/built-in simulator/);
    expect(report.model).toBe('revmemo-simulated');
    expect(report.simulated).toBe(true);
    expect(report.concurrency).toBe(3);
    expect(report.cases.map((c) => c.id)).toEqual(CASES.map((c) => c.id));
    for (const c of report.cases) {
      expect(c.status, `${c.id}: ${c.error}`).toBe('scored');
      expect(c.usage.modelCalls, c.id).toBeGreaterThanOrEqual(5);
      expect(c.usage.promptTokens, c.id).toBeGreaterThan(0);
      expect(c.usage.estimatedCostUsd).toBe(0);
      expect(c.score.possible).toBe(c.fields.reduce((a, f) => a + f.points, 0));
      expect(c.fields.every((f) => f.why.length > 0)).toBe(true);
    }
    const possible = report.cases.reduce((a, c) => a + c.score.possible, 0);
    expect(report.total.possible).toBe(possible);
    // Reported, not asserted: the simulator answers by text rules, not by accounting judgement.
    console.log(
      `simulator score: ${(report.total.ratio * 100).toFixed(0)}% (${report.total.earned}/${report.total.possible}); per step: ${Object.entries(
        report.steps,
      )
        .map(([k, s]) => `${k} ${(s.ratio * 100).toFixed(0)}%`)
        .join(', ')}`,
    );
  });

  it('prints the case × step table and writes the summary and every memo', async () => {
    expect(run.stdout).toMatch(
      /^case\s+1 contract\s+2 obligations\s+3 price\s+4 allocation\s+5 recognition\s+total/m,
    );
    for (const c of CASES) expect(run.stdout).toContain(c.id);
    expect(run.stdout).toMatch(/^ALL\s+\d+% \(\d+\/\d+\)/m);
    expect(run.stderr).toMatch(/\[#+\] 100%\s+12\/12 cases/);

    const summary = await readFile(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('# Memo quality evaluation');
    expect(summary).toMatch(/\| Step 3: Determine the transaction price \| \d+% \(\d+\/\d+\) \|/);
    for (const c of report.cases) {
      expect(summary).toContain(`| ${c.id} |`);
      expect(summary).toContain(
        `| ${c.memoOpenItems} | ${c.checkFlags} | ${c.usage.promptTokens} | ${c.usage.completionTokens} | $0.0000 |`,
      );
    }
    const memos = await readdir(join(out, 'memos'));
    expect(memos.sort()).toEqual(CASES.map((c) => `${c.id}.md`).sort());
    const memo = await readFile(join(out, 'memos', 'principal-versus-agent.md'), 'utf8');
    expect(memo).toContain('## Open items');
    expect(report.cases.find((c) => c.id === 'principal-versus-agent')?.memoOpenItems).toBeGreaterThan(0);
  });

  it('--compare shows the cases that got better and worse against an earlier report', async () => {
    // An earlier run, doctored: the first case did worse then, the second did better.
    const earlier = structuredClone(report);
    const [first, second] = earlier.cases;
    if (!first || !second) throw new Error('cases missing');
    const passing = first.fields.find((f) => f.passed);
    const failing = second.fields.find((f) => !f.passed);
    if (!passing || !failing) throw new Error('need a passing field in case 1 and a failing one in case 2');
    Object.assign(passing, { passed: false, earned: 0 });
    first.score = {
      ...first.score,
      earned: first.score.earned - 1,
      ratio: (first.score.earned - 1) / first.score.possible,
    };
    Object.assign(failing, { passed: true, earned: failing.points });
    second.score = {
      ...second.score,
      earned: second.score.earned + 1,
      ratio: (second.score.earned + 1) / second.score.possible,
    };
    const earlierPath = join(out, 'earlier.json');
    await writeFile(earlierPath, JSON.stringify(earlier));

    const out2 = join(out, 'second');
    const again = await runEvalCli([
      '--out',
      out2,
      '--compare',
      earlierPath,
      '--cases',
      `${first.id},${second.id}`,
    ]);
    expect(again.code, again.stderr).toBe(0);
    const text = again.stdout;
    expect(text).toContain('Compared with the earlier report');
    expect(text).toMatch(
      new RegExp(`Better \\(1\\):\\n  ${first.id}: \\d+% -> \\d+% \\(now passes ${passing.field}\\)`),
    );
    expect(text).toMatch(
      new RegExp(`Worse \\(1\\):\\n  ${second.id}: \\d+% -> \\d+% \\(now fails ${failing.field}\\)`),
    );
    expect(text).toMatch(/Cases of the earlier report not in this run: /);
    const summary = await readFile(join(out2, 'summary.md'), 'utf8');
    expect(summary).toContain('## Compared with the earlier report');
    EvalReportSchema.parse(JSON.parse(await readFile(join(out2, 'report.json'), 'utf8')));
  }, 120_000);
});

describe('pnpm eval against a configured model', () => {
  it('uses OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY when set, over the wire', async () => {
    const sim = await startModelSimulator();
    try {
      const out = await mkdtemp(join(tmpdir(), 'revmemo-eval-'));
      const run = await runEvalCli(['--out', out, '--cases', 'bill-and-hold', '--concurrency', '1'], {
        OPENAI_API_KEY: 'sk-test-not-used',
        OPENAI_BASE_URL: sim.url,
        OPENAI_MODEL: 'revmemo-simulated',
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/built-in simulator/);
      const report = EvalReportSchema.parse(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
      expect(report.baseUrl).toBe(new URL(sim.url).origin);
      expect(report.cases.map((c) => c.id)).toEqual(['bill-and-hold']);
      const stats = (await (await fetch(`http://127.0.0.1:${sim.port}/__sim/stats`)).json()) as {
        calls: number;
      };
      expect(stats.calls).toBe(report.usage.modelCalls);
      expect(stats.calls).toBeGreaterThanOrEqual(5);
    } finally {
      await sim.close();
    }
  }, 120_000);

  it('refuses a malformed setting or option with exit code 2, naming it', async () => {
    const bad = await runEvalCli(['--cases', 'bill-and-hold'], {
      OPENAI_API_KEY: 'k',
      OPENAI_BASE_URL: 'not a url',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/OPENAI_BASE_URL must be a URL/);
    const zero = await runEvalCli(['--concurrency', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--concurrency must be a whole number/);
    const unknown = await runEvalCli(['--cases', 'no-such-case']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown case ids: no-such-case/);
  }, 60_000);
});
