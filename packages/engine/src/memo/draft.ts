import { SIMULATED_MODEL } from '@revmemo/config';
import { reviewAnalysis } from '../checks/index';
import { prepareDocuments } from '../preparation/sections';
import type { Source } from '../steps/evidence';
import {
  type AnalysisSteps,
  endsAtStep1,
  STEPS,
  type StepDefinition,
  type StepKey,
  type StepResults,
} from '../steps/schemas';
import { noteSources, sectionSources } from '../steps/sources';
import { citer } from './markdown';
import {
  background,
  DISCLAIMER,
  documents as documentsReviewed,
  MEMO_SECTIONS,
  MEMO_TITLE,
  PURPOSE,
  SIMULATED_NOTICE,
} from './render';
import {
  renderAllocationStep,
  renderContractStep,
  renderObligationsStep,
  renderPriceStep,
  renderRecognitionStep,
  type StepSection,
} from './steps';

export interface DraftInput {
  /** The checkpointed answers (analysis_steps rows), in any order; each is validated again here. */
  steps: readonly { step: string; result: unknown; model: string }[];
  /** The analysis's stored text: sources and section ids come out exactly as the run's did. */
  documentText: string;
  fileNames: readonly string[];
  additionalContext: string | null;
}

export interface MemoDraft {
  markdown: string;
  /** The steps whose sections the draft shows, in pipeline order. */
  finishedSteps: StepKey[];
  /** 5, or 1 once step 1 found no contract (steps 2 to 5 will not run). */
  totalSteps: number;
}

export const DRAFT_TITLE = `${MEMO_TITLE} (draft)`;
const PENDING_STEP = '*Pending: this step is still running or has not started.*';
const PENDING_WHOLE = '*Pending: written once every step has finished.*';

/**
 * The memo as far as the finished steps go, while the analysis runs (docs/memo.md, "Draft while
 * running"). Only validated, checkpointed answers are shown, never a model's partial text: a stored
 * answer that no longer fits its schema ends the draft there, as the pipeline would redo it. Step
 * sections render exactly as in the final memo; the parts that need every step (summary, key
 * issues, tables, open items, appendix) are marked pending. Null before step 1 has finished.
 */
export function renderDraftMemo(input: DraftInput): MemoDraft | null {
  const stored = new Map(input.steps.map((s) => [s.step, s]));
  const results: Partial<StepResults> = {};
  const finishedSteps: StepKey[] = [];
  for (const step of STEPS) {
    const parsed = (step as StepDefinition).schema.safeParse(stored.get(step.key)?.result);
    // Steps are checkpointed in order; a gap means everything after it is redone.
    if (!parsed.success) break;
    Object.assign(results, { [step.key]: parsed.data });
    finishedSteps.push(step.key);
  }
  if (!results.contract) return null;
  const steps = results as AnalysisSteps;
  const totalSteps = endsAtStep1(steps.contract) ? 1 : STEPS.length;

  const { sections, documents } = prepareDocuments(input.documentText, input.fileNames);
  const additionalContext = input.additionalContext?.trim() || null;
  const sources: Source[] = [...sectionSources(sections), ...noteSources(additionalContext)];
  const cite = citer(new Map(sources.map((s) => [s.id, s])), documents);
  const review = reviewAnalysis(steps, sources);
  const relative = new Map((review.numbers?.rows ?? []).map((r) => [r.obligationId, r.relativeSsp]));
  const bodies: Partial<Record<StepKey, StepSection>> = {
    contract: renderContractStep(steps.contract, cite),
    ...(steps.obligations && { obligations: renderObligationsStep(steps.obligations, cite) }),
    ...(steps.price && { price: renderPriceStep(steps.price, cite) }),
    ...(steps.allocation &&
      steps.price && { allocation: renderAllocationStep(steps.allocation, steps.price, cite, relative) }),
    ...(steps.recognition && { recognition: renderRecognitionStep(steps.recognition, cite) }),
  };

  const simulated = input.steps.some((s) => s.model.startsWith(SIMULATED_MODEL));
  const out: string[] = [`# ${DRAFT_TITLE}`, ''];
  if (simulated) out.push(SIMULATED_NOTICE, '');
  out.push(
    `> **Draft**: ${finishedSteps.length} of ${totalSteps} step${totalSteps === 1 ? '' : 's'} finished. The sections below are the checked answers of the finished steps; the rest is written as the analysis runs. Do not rely on a draft.`,
    '',
  );
  out.push(`## ${MEMO_SECTIONS.summary}`, '', PENDING_WHOLE, '');
  out.push(`## ${MEMO_SECTIONS.keyIssues}`, '', PENDING_WHOLE, '');
  out.push(`## ${MEMO_SECTIONS.purpose}`, '', PURPOSE, '');
  out.push(`## ${MEMO_SECTIONS.background}`, '', ...background({ steps, additionalContext }), '');
  out.push(`## ${MEMO_SECTIONS.documents}`, '', ...documentsReviewed({ documents, sources }), '');
  for (const step of STEPS.slice(0, totalSteps)) {
    const body = bodies[step.key];
    out.push(`## ${step.title}`, '');
    if (!body) out.push(PENDING_STEP, '');
    else out.push('### Analysis', '', ...body.analysis, '', '### Conclusion', '', body.conclusion, '');
  }
  for (const heading of [
    ...(totalSteps === STEPS.length
      ? [MEMO_SECTIONS.table, MEMO_SECTIONS.schedule, MEMO_SECTIONS.disclosures]
      : []),
    MEMO_SECTIONS.assumptions,
    MEMO_SECTIONS.openItems,
    MEMO_SECTIONS.appendix,
  ])
    out.push(`## ${heading}`, '', PENDING_WHOLE, '');
  out.push(`## ${MEMO_SECTIONS.disclaimer}`, '', DISCLAIMER, '');
  return { markdown: out.join('\n'), finishedSteps, totalSteps };
}
