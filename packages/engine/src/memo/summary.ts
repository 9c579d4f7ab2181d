import type { NumbersCheck } from '../checks/numbers';
import type { StepResults } from '../steps/schemas';
import { inline, label, money } from './markdown';
import { JUDGEMENT_CONCLUSION, JUDGEMENTS, PATTERN, TREATMENT } from './steps';

/** The longest schedule shown; a longer term is summarised in its last column. */
const MAX_YEARS = 10;

/** Obligation | SSP | allocated | pattern | timing, footed, with the transaction price. */
export function summaryTable(steps: StepResults): string[] {
  const currency = steps.price.currency;
  const m = (n: number | null) => money(n, currency);
  const rows = steps.obligations.performanceObligations.map((po) => {
    const a = steps.allocation.allocations.find((x) => x.performanceObligationId === po.id);
    const r = steps.recognition.recognition.find((x) => x.performanceObligationId === po.id);
    return `| ${inline(po.id)}: ${inline(po.description)} | ${m(a?.standaloneSellingPrice ?? null)} | ${m(a?.allocatedAmount ?? null)} | ${r ? label(PATTERN, r.pattern) : 'not analysed'} | ${inline(r?.timing, 'not analysed')} |`;
  });
  if (rows.length === 0) return ['No performance obligations were identified.'];
  const total = (xs: (number | null | undefined)[]) =>
    xs.length && xs.every((x) => typeof x === 'number')
      ? m(xs.reduce<number>((s, x) => s + (x as number), 0))
      : 'not determinable';
  const pos = steps.obligations.performanceObligations.map((po) =>
    steps.allocation.allocations.find((x) => x.performanceObligationId === po.id),
  );
  return [
    '| Performance obligation | Standalone selling price | Allocated | Pattern | Timing |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    `| **Total** | ${total(pos.map((a) => a?.standaloneSellingPrice))} | ${total(pos.map((a) => a?.allocatedAmount))} |  |  |`,
    `| **Transaction price** |  | ${m(steps.price.transactionPrice.amount)} |  |  |`,
  ];
}

interface ScheduleRow {
  id: string;
  byYear: number[];
}

/**
 * Revenue by contract year where the answers allow it: an allocated amount and the months it is
 * recognised over (straight-line for time elapsed, all at once for a point in time). Other
 * measures of progress depend on actual performance and are listed, not guessed.
 */
export function recognitionSchedule(steps: StepResults): { lines: string[]; years: number[] | null } {
  const scheduled: ScheduleRow[] = [];
  const unscheduled: string[] = [];
  let years = 0;
  for (const r of steps.recognition.recognition) {
    const a = steps.allocation.allocations.find(
      (x) => x.performanceObligationId === r.performanceObligationId,
    );
    const amount = a?.allocatedAmount ?? null;
    const start = r.startMonth;
    const end = r.pattern === 'point_in_time' ? start : r.endMonth;
    const straight = r.pattern === 'over_time' && r.measureOfProgress === 'time_elapsed';
    if (
      amount === null ||
      start === null ||
      end === null ||
      // Whole months only: a fractional or absurd month is the model's slip, not a period to spread.
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 1 ||
      end < start ||
      !(straight || r.pattern === 'point_in_time')
    ) {
      unscheduled.push(r.performanceObligationId);
      continue;
    }
    const months = end - start + 1;
    const lastYear = Math.min(MAX_YEARS, Math.ceil(end / 12));
    years = Math.max(years, lastYear);
    // Each year's share is the months of [start, end] that fall in it (the last column takes every
    // later year): counted, never enumerated, so a 1,000-year term costs what a 1-year one does.
    const byYear = Array.from({ length: lastYear }, (_, i) => {
      const first = i * 12 + 1;
      const last = i + 1 === MAX_YEARS ? end : (i + 1) * 12;
      const inYear = Math.max(0, Math.min(end, last) - Math.max(start, first) + 1);
      return (amount * inYear) / months;
    });
    // Cents that rounding loses go to the last year, so each row adds up to its allocation.
    const rounded = byYear.map((v) => Math.round(v * 100) / 100);
    const diff = Math.round((amount - rounded.reduce((s, v) => s + v, 0)) * 100) / 100;
    rounded[rounded.length - 1] = Math.round(((rounded.at(-1) ?? 0) + diff) * 100) / 100;
    scheduled.push({ id: r.performanceObligationId, byYear: rounded });
  }
  if (scheduled.length === 0)
    return {
      lines: [
        'No schedule: the allocated amounts or the recognition periods are not determinable from the analysis.',
      ],
      years: null,
    };
  const m = (n: number) => money(n, steps.price.currency);
  const heads = Array.from({ length: years }, (_, i) =>
    i + 1 === MAX_YEARS ? `Year ${i + 1}+` : `Year ${i + 1}`,
  );
  const totals = Array.from({ length: years }, (_, i) =>
    scheduled.reduce((s, r) => s + (r.byYear[i] ?? 0), 0),
  );
  const lines = [
    `| Performance obligation | ${heads.join(' | ')} | Total |`,
    `| --- | ${heads.map(() => '---').join(' | ')} | --- |`,
    ...scheduled.map(
      (r) =>
        `| ${inline(r.id)} | ${heads.map((_, i) => m(r.byYear[i] ?? 0)).join(' | ')} | ${m(r.byYear.reduce((s, v) => s + v, 0))} |`,
    ),
    `| **Total** | ${totals.map(m).join(' | ')} | ${m(totals.reduce((s, v) => s + v, 0))} |`,
  ];
  if (unscheduled.length)
    lines.push(
      '',
      `Not scheduled (amount, period or a measure of progress that depends on actual performance): ${unscheduled.map((id) => inline(id)).join(', ')}.`,
    );
  lines.push(
    '',
    'Years are contract years from the start of the term; amounts assume the term runs in full.',
  );
  return { lines, years: totals.map((t) => Math.round(t * 100) / 100) };
}

/** Inputs for ASC 606-10-50-13/50-14 (remaining performance obligations) and 50-17 (judgements). */
export function disclosureInputs(
  steps: StepResults,
  numbers: NumbersCheck | null,
  scheduleYears: number[] | null,
): string[] {
  const m = (n: number | null) => money(n, steps.price.currency);
  const rpo = numbers?.totalAllocated ?? steps.price.transactionPrice.amount;
  const within = scheduleYears?.[0] ?? null;
  const expedients: string[] = [];
  const term = steps.contract.term.enforceableTermMonths ?? steps.contract.term.durationMonths;
  if (term !== null && term <= 12)
    expedients.push('the contract has an original expected duration of one year or less (50-14(a))');
  if (steps.recognition.recognition.some((r) => r.measureOfProgress === 'right_to_invoice'))
    expedients.push('revenue recognised in the amount the entity has a right to invoice (50-14(b))');
  if (steps.price.variableConsideration.some((v) => v.treatment === 'allocated_to_distinct_period_32_40'))
    expedients.push(
      'variable consideration allocated entirely to a wholly unsatisfied distinct service (50-14A)',
    );
  if (steps.price.variableConsideration.some((v) => v.treatment === 'usage_based_royalty_55_65'))
    expedients.push('a sales- or usage-based royalty (50-14A)');
  const judgements: string[] = [];
  for (const po of steps.obligations.performanceObligations) {
    if (po.distinctInContext.status !== 'met' || po.capableOfBeingDistinct.status !== 'met')
      judgements.push(`Whether ${po.id} (${po.description}) is distinct.`);
    if (po.series.conclusion === 'applies')
      judgements.push(`${po.id} accounted for as a series of distinct services.`);
  }
  // With one obligation the whole price is allocated to it: no standalone selling price judgement.
  const several = steps.allocation.allocations.length > 1;
  for (const a of steps.allocation.allocations)
    if (several && a.sspBasis !== 'observable_price')
      judgements.push(
        `The standalone selling price of ${a.performanceObligationId} (${a.sspBasis.replace(/_/g, ' ')}).`,
      );
  for (const v of steps.price.variableConsideration)
    judgements.push(`Variable consideration "${v.description}": ${TREATMENT[v.treatment]}.`);
  for (const r of steps.recognition.recognition)
    if (r.pattern === 'over_time' && r.measureOfProgress !== 'time_elapsed')
      judgements.push(
        `The measure of progress for ${r.performanceObligationId} (${r.measureOfProgress.replace(/_/g, ' ')}).`,
      );
  for (const k of Object.keys(JUDGEMENTS) as (keyof typeof JUDGEMENTS)[]) {
    const j = steps.obligations.judgements[k];
    if (j.conclusion !== 'does_not_apply')
      judgements.push(`${JUDGEMENTS[k]}: ${JUDGEMENT_CONCLUSION[j.conclusion]}.`);
  }
  return [
    '**Remaining performance obligations (ASC 606-10-50-13):**',
    '',
    `- Transaction price allocated to obligations unsatisfied at contract inception: ${m(rpo)}.`,
    `- Expected to be recognised in the first contract year: ${within === null ? 'not determinable' : m(within)}; thereafter: ${within === null || rpo === null ? 'not determinable' : m(Math.round((rpo - within) * 100) / 100)}.`,
    `- Practical expedients that may apply (50-14, 50-14A): ${expedients.length ? expedients.join('; ') : 'none identified'}.`,
    '',
    '**Significant judgements (ASC 606-10-50-17):**',
    '',
    ...(judgements.length ? judgements.map((j) => `- ${inline(j)}`) : ['- None identified.']),
  ];
}
