import type { Review } from '../checks/index';
import type { SourceDocument } from '../documents/inventory';
import type { Source } from '../steps/evidence';
import { citedIds } from '../steps/evidence';
import { type AnalysisSteps, STEPS, type StepKey, type StepResults } from '../steps/schemas';
import { citationLabel } from '../steps/sources';
import { citer, inline } from './markdown';
import {
  JUDGEMENT_CONCLUSION,
  JUDGEMENTS,
  renderAllocationStep,
  renderContractStep,
  renderObligationsStep,
  renderPriceStep,
  renderRecognitionStep,
  type StepSection,
} from './steps';
import { disclosureInputs, recognitionSchedule, summaryTable } from './summary';
import { uncertainItems } from './uncertain';

export interface MemoInput {
  steps: AnalysisSteps;
  /** Contract sections and the preparer's note paragraphs (N1…), everything a finding may cite. */
  sources: Source[];
  documents: SourceDocument[];
  /** What code checked in the answers (`reviewAnalysis`). */
  review: Review;
  additionalContext: string | null;
  model: string;
  promptVersion: string;
  /** ISO date (YYYY-MM-DD) the memo is dated. */
  memoDate: string;
  simulated: boolean;
}

export const MEMO_TITLE = 'ASC 606 Revenue Recognition Memo';

export const SIMULATED_NOTICE =
  '> **SIMULATED**: this memo was written by the simulated model for testing and demonstration. Its findings come from simple text rules, not from an accounting analysis; do not rely on it.';

/** The headings every complete memo has, in order (docs/memo.md); step headings come from STEPS. */
export const MEMO_SECTIONS = {
  summary: 'Executive summary',
  keyIssues: 'Key issues',
  purpose: 'Purpose',
  background: 'Background',
  documents: 'Documents reviewed',
  table: 'Summary of performance obligations',
  schedule: 'Recognition schedule',
  disclosures: 'Disclosure inputs',
  assumptions: 'Assumptions',
  openItems: 'Open items',
  appendix: 'Appendix: cited clauses',
  signOff: 'Sign-off',
  disclaimer: 'Disclaimer',
} as const;

export const NOT_PERFORMED_TITLE = 'Steps 2 to 5: not performed';

export const PURPOSE =
  'This memo documents the revenue-recognition analysis of the customer contract under ASC 606, Revenue from Contracts with Customers, following the five-step model: identify the contract, identify the performance obligations, determine the transaction price, allocate it to the performance obligations, and recognize revenue when (or as) each obligation is satisfied.';

export const DISCLAIMER =
  'This memo was drafted with the assistance of an AI model from the documents listed above. It has not been reviewed by a licensed accountant and is not accounting, audit, legal or tax advice. Findings cite the contract sections they rely on; verify them against the source documents, resolve the open items, and have the conclusions reviewed by a qualified professional before use in financial reporting.';

const MAX_CONTEXT_CHARS = 2_000;
const MAX_APPENDIX_CHARS = 1_200;

/**
 * Deterministic: the same input gives the same bytes, and the heading structure never depends
 * on the model's answers (all model text goes through `inline`).
 */
export function renderMemo(input: MemoInput): string {
  const { steps, review } = input;
  const byId = new Map(input.sources.map((s) => [s.id, s]));
  const cite = citer(byId, input.documents);
  const complete = isComplete(steps);
  const out: string[] = [`# ${MEMO_TITLE}`, ''];
  if (input.simulated) out.push(SIMULATED_NOTICE, '');
  out.push(
    `**Memo date:** ${inline(input.memoDate)}  `,
    `**Prepared with:** ${inline(input.model)}, prompt version ${inline(input.promptVersion)}`,
    '',
  );
  out.push(`## ${MEMO_SECTIONS.summary}`, '', ...executiveSummary(input), '');
  out.push(`## ${MEMO_SECTIONS.keyIssues}`, '', ...keyIssues(input), '');
  out.push(`## ${MEMO_SECTIONS.purpose}`, '', PURPOSE, '');
  out.push(`## ${MEMO_SECTIONS.background}`, '', ...background(input), '');
  out.push(`## ${MEMO_SECTIONS.documents}`, '', ...documents(input), '');
  const relative = new Map((review.numbers?.rows ?? []).map((r) => [r.obligationId, r.relativeSsp]));
  const bodies: Partial<Record<StepKey, StepSection>> = {
    contract: renderContractStep(steps.contract, cite),
    ...(complete && {
      obligations: renderObligationsStep(steps.obligations, cite),
      price: renderPriceStep(steps.price, cite),
      allocation: renderAllocationStep(steps.allocation, steps.price, cite, relative),
      recognition: renderRecognitionStep(steps.recognition, cite),
    }),
  };
  for (const step of STEPS) {
    const body = bodies[step.key];
    if (!body) continue;
    out.push(
      `## ${step.title}`,
      '',
      '### Analysis',
      '',
      ...body.analysis,
      '',
      '### Conclusion',
      '',
      body.conclusion,
      '',
    );
  }
  if (complete) {
    const schedule = recognitionSchedule(steps);
    out.push(`## ${MEMO_SECTIONS.table}`, '', ...summaryTable(steps), '');
    out.push(`## ${MEMO_SECTIONS.schedule}`, '', ...schedule.lines, '');
    out.push(
      `## ${MEMO_SECTIONS.disclosures}`,
      '',
      ...disclosureInputs(steps, review.numbers, schedule.years),
      '',
    );
  } else {
    out.push(
      `## ${NOT_PERFORMED_TITLE}`,
      '',
      'Step 1 concluded that no contract with a customer exists yet under ASC 606-10-25-1, so the performance obligations, transaction price, allocation and recognition were not analysed (ASC 606-10-25-6 and 25-7: consideration received before a contract exists is a liability, and the criteria are reassessed as facts change). The reasons:',
      '',
      ...notMetReasons(steps.contract),
      '',
    );
  }
  out.push(`## ${MEMO_SECTIONS.assumptions}`, '', ...assumptionList(steps), '');
  out.push(`## ${MEMO_SECTIONS.openItems}`, '', ...openItems(input), '');
  out.push(`## ${MEMO_SECTIONS.appendix}`, '', ...appendix(input, byId), '');
  out.push(
    `## ${MEMO_SECTIONS.signOff}`,
    '',
    '| Role | Name | Signature | Date |',
    '| --- | --- | --- | --- |',
    '| Preparer |  |  |  |',
    '| Reviewer |  |  |  |',
    '',
  );
  out.push(`## ${MEMO_SECTIONS.disclaimer}`, '', DISCLAIMER, '');
  return out.join('\n');
}

function isComplete(steps: AnalysisSteps): steps is StepResults {
  return !!(steps.obligations && steps.price && steps.allocation && steps.recognition);
}

function executiveSummary({ steps, review }: MemoInput): string[] {
  const lines = STEPS.flatMap((s, i) => {
    const answer = steps[s.key];
    return answer ? [`- **Step ${i + 1}:** ${inline(answer.conclusion)}`] : [];
  });
  if (!isComplete(steps)) lines.push('- **Steps 2 to 5:** not performed, because no contract exists yet.');
  const checks = review.flags.length;
  lines.push(
    `- **Checks:** ${checks === 0 ? 'no flags from the automated checks (arithmetic, links to step 2, quoted evidence).' : `${checks} finding${checks === 1 ? '' : 's'} flagged by the automated checks; see Key issues and Open items.`}`,
  );
  return lines;
}

/** What a reviewer must look at first: code flags on numbers and links, and judgements that apply. */
function keyIssues({ steps, review }: MemoInput): string[] {
  const issues = review.flags
    .filter((f) => f.kind !== 'no_evidence' && f.kind !== 'quote_not_found' && f.kind !== 'unknown_section')
    .map((f) => `Checked by code: ${f.message}`);
  const evidence = review.flags.length - issues.length;
  if (evidence > 0)
    issues.push(
      `Checked by code: ${evidence} citation${evidence === 1 ? '' : 's'} could not be verified (see Open items).`,
    );
  if (steps.contract.outcome !== 'contract_exists')
    issues.push(`Contract existence: ${steps.contract.conclusion}`);
  if (steps.contract.term.terminationForConvenience === 'customer_without_penalty')
    issues.push(
      `The customer may terminate for convenience without a substantive penalty: the enforceable term is ${steps.contract.term.enforceableTermMonths ?? 'not determined'} months (ASC 606-10-25-3).`,
    );
  for (const m of steps.contract.modifications)
    issues.push(`Contract modification: ${m.document}: ${m.analysis}`);
  if (steps.obligations)
    for (const k of Object.keys(JUDGEMENTS) as (keyof typeof JUDGEMENTS)[]) {
      const j = steps.obligations.judgements[k];
      if (j.conclusion !== 'does_not_apply')
        issues.push(`${JUDGEMENTS[k]}: ${JUDGEMENT_CONCLUSION[j.conclusion]}. ${j.analysis}`);
    }
  return issues.length ? issues.map((t, i) => `${i + 1}. ${inline(t)}`) : ['None identified.'];
}

export function background({
  steps,
  additionalContext,
}: Pick<MemoInput, 'steps' | 'additionalContext'>): string[] {
  const c = steps.contract;
  const customer = c.parties.find((p) => p.role === 'customer');
  const vendor = c.parties.find((p) => p.role === 'vendor');
  const lines = [
    `- **Vendor:** ${inline(vendor?.name, 'Not identified.')}`,
    `- **Customer:** ${inline(customer?.name, 'Not identified.')}`,
    `- **Contract term:** ${inline(c.term.description)}`,
  ];
  if (additionalContext?.trim()) {
    const text =
      additionalContext.length > MAX_CONTEXT_CHARS
        ? `${additionalContext.slice(0, MAX_CONTEXT_CHARS)}...`
        : additionalContext;
    lines.push(`- **Context provided by the preparer** (cited as N1, N2, …): ${inline(text)}`);
  }
  return lines;
}

export function documents({ documents, sources }: Pick<MemoInput, 'documents' | 'sources'>): string[] {
  const sections = sources.filter((s) => s.documentId !== 'note');
  return [
    '| Id | Document | Kind | Dated | Words | SHA-256 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...documents.map(
      (d) =>
        `| ${inline(d.id)} | ${inline(d.name)} | ${inline(d.kind)} | ${inline(d.dateText, '-')} | ${d.words} | \`${d.sha256.replace(/[^0-9a-f]/gi, '')}\` |`,
    ),
    ...documents.flatMap((d) => d.warnings.map((w) => `\nWarning for ${inline(d.id)}: ${inline(w)}`)),
    '',
    `The text was divided into ${sections.length} sections; findings cite them by id.`,
    '',
    '| Id | Clause | Begins with |',
    '| --- | --- | --- |',
    ...sections.map((s) => `| ${s.id} | ${inline(s.label, '-')} | ${inline(s.title, '-')} |`),
  ];
}

function notMetReasons(c: StepResults['contract']): string[] {
  const keys = ['a', 'b', 'c', 'd', 'e'] as const;
  const reasons = keys
    .filter((k) => c.criteria[k].status !== 'met')
    .map(
      (k) =>
        `- (${k}) ${c.criteria[k].status === 'not_met' ? 'Not met' : 'Unclear'}: ${inline(c.criteria[k].rationale)}`,
    );
  return [...reasons, `- Conclusion: ${inline(c.conclusion)}`];
}

function assumptionList(steps: AnalysisSteps): string[] {
  const items = STEPS.flatMap((s, i) =>
    (steps[s.key]?.assumptions ?? []).map((a) => `- Step ${i + 1}: ${inline(a)}`),
  );
  return items.length ? items : ['None stated.'];
}

const OPEN_ITEMS_INTRO =
  'For the accountant: what the automated checks flagged, questions the contract leaves open, and findings the analysis marked as uncertain or dependent on facts outside the contract. Resolve them before relying on the conclusions.';

/**
 * Code flags first, then the model's own questions, then per step what its structured answer
 * marked as uncertain (see `uncertainItems`), so an "unclear" finding is asked, not asserted.
 */
function openItems({ steps, review }: MemoInput): string[] {
  const seen = new Set<string>();
  const items: string[] = [];
  const push = (text: string, line: (n: number) => string) => {
    const key = text.replace(/\s+/g, ' ').trim().toLowerCase();
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    items.push(line(items.length + 1));
  };
  const number = new Map(STEPS.map((s, i) => [s.key, i + 1]));
  for (const f of review.flags)
    push(f.message, (n) => `${n}. Step ${number.get(f.step)}, flagged by the checks: ${inline(f.message)}`);
  STEPS.forEach((step, i) => {
    for (const q of steps[step.key]?.openQuestions ?? []) push(q, (n) => `${n}. Step ${i + 1}: ${inline(q)}`);
    for (const u of uncertainItems(step.key, steps))
      push(u, (n) => `${n}. Step ${i + 1}, marked uncertain in the analysis: ${inline(u)}`);
  });
  return items.length ? [OPEN_ITEMS_INTRO, '', ...items] : ['None identified.'];
}

/** Each cited section once, in order of first citation, with its text, so the reader need not open the file. */
function appendix({ steps, documents }: MemoInput, byId: ReadonlyMap<string, Source>): string[] {
  // In document order, as a reader pages through the contract.
  const cited = new Set(citedIds(STEPS.map((s) => steps[s.key])));
  const known = [...byId.keys()].filter((id) => cited.has(id));
  if (known.length === 0) return ['No clauses were cited.'];
  return known.flatMap((id) => {
    const s = byId.get(id) as Source;
    const text = s.text.length > MAX_APPENDIX_CHARS ? `${s.text.slice(0, MAX_APPENDIX_CHARS)}...` : s.text;
    return [`- **${inline(citationLabel(s, id, documents))}:** ${inline(text)}`];
  });
}
