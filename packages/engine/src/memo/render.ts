import type { Section } from '../preparation/sections';
import { STEPS, type StepKey, type StepResults } from '../steps/schemas';
import { inline } from './markdown';
import {
  renderAllocationStep,
  renderContractStep,
  renderObligationsStep,
  renderPriceStep,
  renderRecognitionStep,
  type StepSection,
} from './steps';
import { uncertainItems } from './uncertain';

export interface MemoInput {
  steps: StepResults;
  sections: Section[];
  fileNames: string[];
  additionalContext: string | null;
  model: string;
  simulated: boolean;
}

export const MEMO_TITLE = 'ASC 606 Revenue Recognition Memo';

export const SIMULATED_NOTICE =
  '> **SIMULATED**: this memo was written by the simulated model for testing and demonstration. Its findings come from simple text rules, not from an accounting analysis; do not rely on it.';

const PURPOSE =
  'This memo documents the revenue-recognition analysis of the customer contract under ASC 606, Revenue from Contracts with Customers, following the five-step model: identify the contract, identify the performance obligations, determine the transaction price, allocate it to the performance obligations, and recognize revenue when (or as) each obligation is satisfied.';

const DISCLAIMER =
  'This memo was drafted with the assistance of an AI model from the documents listed above. It has not been reviewed by a licensed accountant and is not accounting, audit, legal or tax advice. Findings cite the contract sections they rely on; verify them against the source documents, resolve the open items, and have the conclusions reviewed by a qualified professional before use in financial reporting.';

const MAX_CONTEXT_CHARS = 2_000;

/**
 * Deterministic: the same results give the same bytes, and the heading structure never depends
 * on the model's answers (all model text goes through `inline`).
 */
export function renderMemo(input: MemoInput): string {
  const { steps } = input;
  const bodies: Record<StepKey, StepSection> = {
    contract: renderContractStep(steps.contract),
    obligations: renderObligationsStep(steps.obligations),
    price: renderPriceStep(steps.price),
    allocation: renderAllocationStep(steps.allocation, steps.price.currency),
    recognition: renderRecognitionStep(steps.recognition),
  };
  const out: string[] = [`# ${MEMO_TITLE}`, ''];
  if (input.simulated) out.push(SIMULATED_NOTICE, '');
  out.push(`**Prepared with:** ${inline(input.model)}`, '');
  out.push('## Purpose', '', PURPOSE, '');
  out.push('## Background', '', ...background(input), '');
  out.push('## Documents reviewed', '', ...documents(input), '');
  for (const step of STEPS) {
    const body = bodies[step.key];
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
  out.push('## Open items', '', ...openItems(steps), '');
  out.push('## Disclaimer', '', DISCLAIMER, '');
  return out.join('\n');
}

function background({ steps, additionalContext }: MemoInput): string[] {
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
    lines.push(`- **Context provided by the preparer:** ${inline(text)}`);
  }
  return lines;
}

function documents({ fileNames, sections }: MemoInput): string[] {
  const files = fileNames.length ? fileNames.map((f) => `- ${inline(f)}`) : ['- (pasted text)'];
  return [
    ...files,
    '',
    `The contract text was divided into ${sections.length} sections; findings cite them by id.`,
    '',
    '| Id | Clause | Begins with |',
    '| --- | --- | --- |',
    ...sections.map((s) => `| ${s.id} | ${inline(s.label, '-')} | ${inline(s.title, '-')} |`),
  ];
}

const OPEN_ITEMS_INTRO =
  'For the accountant: questions the contract leaves open, and findings the analysis marked as uncertain or dependent on facts outside the contract. Resolve them before relying on the conclusions.';

/**
 * The model's own questions, then per step what its structured answer marked as uncertain
 * (see `uncertainItems`), so an "unclear" or "not determinable" finding is asked, not asserted.
 */
function openItems(steps: StepResults): string[] {
  const seen = new Set<string>();
  const items: string[] = [];
  const push = (text: string, line: (n: number) => string) => {
    const key = text.replace(/\s+/g, ' ').trim().toLowerCase();
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    items.push(line(items.length + 1));
  };
  STEPS.forEach((step, i) => {
    for (const q of steps[step.key].openQuestions) push(q, (n) => `${n}. Step ${i + 1}: ${inline(q)}`);
    for (const u of uncertainItems(step.key, steps))
      push(u, (n) => `${n}. Step ${i + 1}, marked uncertain in the analysis: ${inline(u)}`);
  });
  return items.length ? [OPEN_ITEMS_INTRO, '', ...items] : ['None identified.'];
}
