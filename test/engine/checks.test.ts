import {
  creditsToCharge,
  type FinishedSteps,
  joinDocuments,
  normalizeText,
  type PipelineResult,
  type StepResults,
} from '@revmemo/engine';
import { CASES } from '@revmemo/evals';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copy, perfectAnswer } from '../evals/answers';
import { fixtureFile } from './support/files';
import { headings, memoHeadings, SimHarness } from './support/sim';

/**
 * Hand-made step answers fed to the real pipeline as finished steps (no model call): each broken
 * thing must produce exactly its flag, in the memo and in the structured answers stored with it.
 */
let h: SimHarness;
beforeAll(async () => {
  h = await SimHarness.start();
});
afterAll(() => h.sim.close());
beforeEach(() => h.reset());

const licence = CASES.find((c) => c.id === 'software-licence-installation-pcs');
if (!licence) throw new Error('case missing');
const perfect = perfectAnswer(licence);
const usage = { model: 'gpt-4.1', promptTokens: 1, completionTokens: 1 };

function asFinished(steps: Partial<StepResults>): FinishedSteps {
  return Object.fromEntries(
    Object.entries(steps).map(([k, result]) => [k, { result, droppedCitations: 0, usage }]),
  ) as FinishedSteps;
}

async function memoFrom(steps: Partial<StepResults>) {
  const result = await h.run(licence?.contract ?? '', {
    finished: asFinished(steps),
    fileNames: ['licence.txt'],
    memoDate: '2026-11-29',
  });
  expect((await h.stats()).calls).toBe(0);
  return result;
}

const kinds = (r: PipelineResult) => r.structured.flags.map((f) => `${f.step}:${f.kind}`);

/** The numbered lines of a memo section. */
function section(md: string, title: string): string {
  const from = md.indexOf(`\n## ${title}\n`);
  const rest = md.slice(from + title.length + 5);
  return rest.slice(0, rest.search(/\n## /));
}

describe('checks on hand-made answers', () => {
  it('a correct answer raises no flag, foots, and renders every section', async () => {
    const r = await memoFrom(perfect);
    expect(kinds(r)).toEqual([]);
    expect(headings(r.memoMarkdown)).toEqual(memoHeadings());
    expect(r.structured.numbers?.totalAllocated).toBe(r.structured.numbers?.transactionPrice);
    expect(r.memoMarkdown).toContain('| **Total** |');
    expect(r.memoMarkdown).toContain('| **Transaction price** |');
    expect(r.memoMarkdown).toContain('**Prepared with:** gpt-4.1, prompt version');
    expect(r.memoMarkdown).toMatch(/\| D1 \| licence\.txt \| \w+ \| [^|]+ \| \d+ \| `[0-9a-f]{64}` \|/);
    expect(section(r.memoMarkdown, 'Sign-off')).toContain('| Reviewer |');
  });

  it('schedules revenue by contract year where the answers give amounts and months', async () => {
    const steps = copy(perfect);
    for (const r of steps.recognition.recognition) {
      r.startMonth = 1;
      r.endMonth = r.pattern === 'over_time' ? 24 : 1;
      if (r.pattern === 'over_time') r.measureOfProgress = 'time_elapsed';
    }
    const r = await memoFrom(steps);
    const schedule = section(r.memoMarkdown, 'Recognition schedule');
    const money = (n: number) => `USD ${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
    const allocated = (id: string) =>
      steps.allocation.allocations.find((a) => a.performanceObligationId === id)?.allocatedAmount ?? 0;
    const overTime = steps.recognition.recognition.filter((x) => x.pattern === 'over_time');
    const secondYear = overTime.reduce((sum, x) => sum + allocated(x.performanceObligationId) / 2, 0);
    const price = steps.price.transactionPrice.amount ?? 0;
    expect(schedule).toContain('| Performance obligation | Year 1 | Year 2 | Total |');
    expect(schedule).toContain(
      `| **Total** | ${money(price - secondYear)} | ${money(secondYear)} | ${money(price)} |`,
    );
    expect(section(r.memoMarkdown, 'Disclosure inputs')).toContain(
      `Expected to be recognised in the first contract year: ${money(price - secondYear)}; thereafter: ${money(secondYear)}.`,
    );
  });

  it('a term of any length fits the schedule (later years in the last column); a fractional month is not scheduled', async () => {
    const steps = copy(perfect);
    const [first, second] = steps.recognition.recognition;
    if (!first || !second) throw new Error('two recognition rows expected');
    // A schema-valid answer once made rendering enumerate every month (and overflow a Map).
    Object.assign(first, { pattern: 'over_time', measureOfProgress: 'time_elapsed', startMonth: 1 });
    first.endMonth = 12_000_000_000;
    Object.assign(second, { pattern: 'over_time', measureOfProgress: 'time_elapsed', startMonth: 1.5 });
    second.endMonth = 12;
    const r = await memoFrom(steps);
    const schedule = section(r.memoMarkdown, 'Recognition schedule');
    const allocated =
      steps.allocation.allocations.find((a) => a.performanceObligationId === first.performanceObligationId)
        ?.allocatedAmount ?? 0;
    const money = (n: number) => `USD ${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
    const row = schedule.split('\n').find((l) => l.startsWith(`| ${first.performanceObligationId} |`)) ?? '';
    expect(
      row
        .split('|')
        .map((c) => c.trim())
        .filter(Boolean),
    ).toEqual([
      first.performanceObligationId,
      ...Array.from({ length: 9 }, () => 'USD 0'),
      money(allocated),
      money(allocated),
    ]);
    expect(schedule).toContain('| Year 10+ |');
    expect(schedule).toMatch(new RegExp(`Not scheduled .*${second.performanceObligationId}`));
  });

  it('an allocation that does not foot', async () => {
    const steps = copy(perfect);
    const row = steps.allocation.allocations[0];
    if (!row || row.allocatedAmount === null) throw new Error('no allocation');
    row.allocatedAmount += 10_000;
    const r = await memoFrom(steps);
    expect(kinds(r)).toEqual([
      'allocation:allocation_does_not_foot',
      'allocation:allocation_differs_from_relative_ssp',
    ]);
    const foot = r.structured.flags[0]?.message ?? '';
    expect(foot).toMatch(/add up to .* but the transaction price is .* \(difference 10,000\)/);
    expect(section(r.memoMarkdown, 'Key issues')).toContain(
      `Checked by code: ${foot.replace(/[()]/g, '')}`.slice(0, 40),
    );
    expect(section(r.memoMarkdown, 'Open items')).toContain(
      'Step 4, flagged by the checks: The allocated amounts add up to',
    );
    // The model's figure is kept as answered; the recomputed one sits next to it.
    expect(r.structured.steps.allocation?.allocations[0]?.allocatedAmount).toBe(row.allocatedAmount);
  });

  it('an obligation id step 2 never identified', async () => {
    const steps = copy(perfect);
    steps.allocation.allocations.push({
      evidence: [],
      performanceObligationId: 'PO9',
      sspBasis: 'not_determinable',
      rationale: 'Hand-made.',
      standaloneSellingPrice: null,
      allocatedAmount: null,
    });
    const r = await memoFrom(steps);
    expect(kinds(r)).toEqual(['allocation:unknown_obligation']);
    expect(section(r.memoMarkdown, 'Open items')).toContain(
      'The allocation names PO9, which step 2 did not identify',
    );
  });

  it('a quote its section does not contain is flagged and kept, never stripped', async () => {
    const steps = copy(perfect);
    const po = steps.obligations.performanceObligations[0];
    const evidence = po?.evidence[0];
    if (!evidence) throw new Error('no evidence');
    evidence.quote = 'The Customer shall pay one million dollars on signature.';
    const r = await memoFrom(steps);
    expect(kinds(r)).toEqual(['obligations:quote_not_found']);
    expect(r.structured.flags[0]?.path).toBe('performanceObligations[0].evidence[0]');
    expect(r.structured.steps.obligations?.performanceObligations[0]?.evidence[0]).toEqual(evidence);
    expect(r.memoMarkdown).toMatch(/\(S\d+\) — quote not found in the section/);
    expect(section(r.memoMarkdown, 'Open items')).toContain('one million dollars');
  });

  it('a made-up section id is flagged and kept', async () => {
    const steps = copy(perfect);
    steps.price.transactionPrice.evidence.push({ sectionId: 'S99', quote: 'anything' });
    const r = await memoFrom(steps);
    expect(kinds(r)).toEqual(['price:unknown_section']);
    expect(r.memoMarkdown).toContain('S99 — not a section of the documents');
  });

  it('"no contract yet" in step 1 ends the analysis with its reasons and a fifth of the charge', async () => {
    const contract = copy(perfect).contract;
    contract.outcome = 'no_contract_yet';
    contract.criteria.a = {
      evidence: [],
      rationale: 'The agreement is an unsigned draft.',
      status: 'not_met',
    };
    contract.conclusion = 'No contract exists until both parties sign.';
    const r = await memoFrom({ contract });
    expect(r.stages).toEqual(['memo']);
    expect(r.structured.endedAtStep1).toBe(true);
    expect(Object.keys(r.structured.steps)).toEqual(['contract']);
    expect(r.structured.numbers).toBeNull();
    expect(headings(r.memoMarkdown)).toEqual(memoHeadings(false));
    const why = section(r.memoMarkdown, 'Steps 2 to 5: not performed');
    expect(why).toContain('(a) Not met: The agreement is an unsigned draft.');
    expect(why).toContain('No contract exists until both parties sign.');
    expect(creditsToCharge(20, r)).toBe(4);
    expect(creditsToCharge(3, r)).toBe(1);
  });

  it('the preparer note is citable as N1 and checked like contract text', async () => {
    const steps = copy(perfect);
    steps.contract.criteria.e = {
      evidence: [{ sectionId: 'N1', quote: 'credit check passed' }],
      rationale: 'The preparer reports a credit check.',
      status: 'met',
    };
    const r = await h.run(licence?.contract ?? '', {
      finished: asFinished(steps),
      additionalContext: 'Credit check passed on 1 March 2025.\n\nSSP of support is 20% of the licence.',
      memoDate: '2026-11-29',
    });
    expect(kinds(r)).toEqual([]);
    expect(r.memoMarkdown).toContain("(Preparer's note (N1))");
    expect(section(r.memoMarkdown, 'Appendix: cited clauses')).toContain(
      "Preparer's note (N1):** Credit check passed",
    );
  });
});

describe('checkpoints saved by an earlier release', () => {
  it('a step answer in an older shape is asked again; the steps in the current shape are kept', async () => {
    const steps = copy(perfect);
    // Step 3 as a release before the variable-consideration rework saved it: one blurred amount.
    const oldShape = { transactionPrice: 1000, variableConsideration: { estimatedAmount: 100 } };
    const r = await h.run(licence?.contract ?? '', {
      finished: { ...asFinished(steps), price: { result: oldShape, droppedCitations: 0, usage } } as never,
      fileNames: ['licence.txt'],
      memoDate: '2026-11-29',
    });
    const { requests } = await h.stats();
    expect(requests.map((q) => q.step)).toEqual(['asc606_step3_transaction_price']);
    expect(r.structured.steps.price).not.toEqual(oldShape);
  });
});

describe('an MSA, its order form and an amendment', () => {
  it('cites each document by kind and analyses the amendment as a contract modification', async () => {
    const files = ['master-services-agreement', 'order-form-1', 'amendment-1'].map((name) => ({
      name: `${name}.pdf`,
      text: normalizeText(fixtureFile(`msa-bundle/${name}.txt`)),
    }));
    const r = await h.run(joinDocuments(files), { fileNames: files.map((f) => f.name) });
    expect(r.structured.documents.map((d) => d.kind)).toEqual(['msa', 'order_form', 'amendment']);
    expect(
      r.structured.flags.filter((f) => f.kind === 'unknown_section' || f.kind === 'quote_not_found'),
    ).toEqual([]);
    const md = r.memoMarkdown;
    expect(md).toMatch(/MSA §[\d.]+ \(D1\.S\d+\)/);
    expect(md).toMatch(/Order Form §[\d.]+ \(D2\.S\d+\)/);
    expect(md).toMatch(/Amendment[^|\n]*\(D3\.S\d+\)/);
    const modification = r.structured.steps.contract.modifications[0];
    expect(modification?.evidence[0]?.sectionId).toMatch(/^D3\./);
    expect(section(md, 'Step 1: Identify the contract')).toContain(
      '- **Contract modifications (ASC 606-10-25-10 to 25-13):**',
    );
    expect(section(md, 'Key issues')).toContain('Contract modification:');
  });
});
