import { STEPS } from '@revmemo/engine';
import type { Comparison } from './compare';
import type { EvalReport, Score } from './report';
import type { ProgressUpdate } from './run';

const STEP_LABELS = ['1 contract', '2 obligations', '3 price', '4 allocation', '5 recognition'];

function percent(s: Score | number): string {
  const ratio = typeof s === 'number' ? s : s.ratio;
  return `${(ratio * 100).toFixed(0)}%`;
}

function cell(s: Score): string {
  return `${percent(s)} (${s.earned}/${s.possible})`;
}

function usd(n: number): string {
  return `$${n.toFixed(4)}`;
}

/** The case × step table for the terminal. */
export function renderTable(report: EvalReport): string {
  const header = ['case', ...STEP_LABELS, 'total', 'invented', 'tokens in/out', 'est. cost'];
  const rows = report.cases.map((c) => [
    c.status === 'error' ? `${c.id} (error)` : c.id,
    ...STEPS.map((s) => cell(c.steps[s.key])),
    cell(c.score),
    String(c.inventedFacts),
    `${c.usage.promptTokens}/${c.usage.completionTokens}`,
    usd(c.usage.estimatedCostUsd),
  ]);
  const all = [
    'ALL',
    ...STEPS.map((s) => cell(report.steps[s.key])),
    cell(report.total),
    String(report.inventedFacts),
    `${report.usage.promptTokens}/${report.usage.completionTokens}`,
    usd(report.usage.estimatedCostUsd),
  ];
  const table = [header, ...rows, all];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line), rule, line(all)].join('\n');
}

/** The Markdown summary written next to the JSON report. */
export function renderSummary(report: EvalReport, comparison?: Comparison): string {
  const out: string[] = [
    '# Memo quality evaluation',
    '',
    `- **Model:** ${report.model}${report.simulated ? ' (simulated: answers come from text rules)' : ''}`,
    `- **Server:** ${report.baseUrl ?? 'provider default'}`,
    `- **Run:** ${report.startedAt} to ${report.finishedAt}, concurrency ${report.concurrency}`,
    `- **Score:** ${cell(report.total)}; invented facts: ${report.inventedFacts}`,
    `- **Tokens:** ${report.usage.promptTokens} in, ${report.usage.completionTokens} out, ${report.usage.modelCalls} calls; estimated cost ${usd(report.usage.estimatedCostUsd)}`,
    '',
    '## Score per step',
    '',
    '| step | score |',
    '| --- | ---: |',
    ...STEPS.map((s) => `| ${s.title} | ${cell(report.steps[s.key])} |`),
    '',
    '## Cases',
    '',
    `| case | ${STEP_LABELS.join(' | ')} | total | invented | open items | check flags | tokens in | tokens out | est. cost |`,
    `| --- | ${STEP_LABELS.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...report.cases.map(
      (c) =>
        `| ${c.id}${c.status === 'error' ? ' (error)' : ''} | ${STEPS.map((s) => cell(c.steps[s.key])).join(' | ')} | ${cell(c.score)} | ${c.inventedFacts} | ${c.memoOpenItems} | ${c.checkFlags} | ${c.usage.promptTokens} | ${c.usage.completionTokens} | ${usd(c.usage.estimatedCostUsd)} |`,
    ),
    '',
  ];
  if (comparison) out.push(...renderComparison(comparison, 'md'), '');
  out.push('## Failed fields', '');
  for (const c of report.cases) {
    const failed = c.fields.filter((f) => !f.passed);
    out.push(`### ${c.id}: ${c.title}`, '', `Guidance: ${c.guidance}`, '');
    if (c.error) out.push(`The analysis failed: ${mdText(c.error)}`, '');
    else if (failed.length === 0) out.push('Every field passed.', '');
    else
      out.push(
        ...failed.map((f) => `- \`${f.field}\`${f.invented ? ' **(invented)**' : ''}: ${mdText(f.why)}`),
        '',
      );
  }
  return out.join('\n');
}

export function renderComparison(c: Comparison, style: 'text' | 'md'): string[] {
  const head = style === 'md' ? '## Compared with the earlier report' : 'Compared with the earlier report:';
  const line = (x: Comparison['better'][number]) => {
    const moved = `${x.id}: ${percent(x.before ?? 0)} -> ${percent(x.after ?? 0)}`;
    const details = [
      x.fixed.length ? `now passes ${x.fixed.join(', ')}` : '',
      x.broken.length ? `now fails ${x.broken.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `${style === 'md' ? '- ' : '  '}${moved}${details ? ` (${details})` : ''}`;
  };
  const out = [head, ''];
  out.push(`${style === 'md' ? '- ' : '  '}total: ${percent(c.totalBefore)} -> ${percent(c.totalAfter)}`);
  for (const s of c.steps)
    out.push(`${style === 'md' ? '- ' : '  '}${s.step}: ${percent(s.before)} -> ${percent(s.after)}`);
  out.push('', `Better (${c.better.length}):`, ...c.better.map(line));
  out.push('', `Worse (${c.worse.length}):`, ...c.worse.map(line));
  const sameButMoved = c.unchanged.filter((x) => x.fixed.length || x.broken.length);
  out.push(
    '',
    `Unchanged: ${c.unchanged.length}${sameButMoved.length ? ' (some fields moved both ways):' : ''}`,
    ...sameButMoved.map(line),
  );
  if (c.added.length) out.push('', `New cases: ${c.added.join(', ')}`);
  if (c.removed.length) out.push('', `Cases of the earlier report not in this run: ${c.removed.join(', ')}`);
  return out;
}

/** One line, redrawn in place on a terminal; whole lines otherwise (CI logs). */
export function progressLine(p: ProgressUpdate, width = 30): string {
  const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((p.done / Math.max(1, p.total)) * 100)).padStart(3)}%  ${p.casesDone}/${p.cases} cases  ${p.caseId}: ${p.message}`;
}

function mdText(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[|<>]/g, '\\$&');
}
