import { SIMULATED_MODEL } from '@revmemo/config';
import type { PipelineStage } from '@revmemo/contracts';
import type OpenAI from 'openai';
import { normalizeText } from './documents/normalize';
import { AnalysisAbortedError } from './errors';
import { renderMemo } from './memo/render';
import { estimateCostUsd } from './model/cost';
import { type CallUsage, callStructured } from './model/structured-call';
import { type Section, splitSections } from './preparation/sections';
import { checkTokenBudget } from './preparation/tokens';
import { keepKnownCitations } from './steps/citations';
import { buildStepMessages, newBoundary, renderContractBlock } from './steps/prompts';
import { STEPS, type StepDefinition, type StepKey, type StepResults } from './steps/schemas';

export interface PipelineInput {
  client: OpenAI;
  model: string;
  documentText: string;
  additionalContext?: string | null | undefined;
  fileNames: string[];
  /** Token budget for the contract text plus the context note (what the quote was checked against). */
  maxContextTokens: number;
  onStage: (stage: PipelineStage, message: string) => Promise<void>;
  signal?: AbortSignal | undefined;
}

export interface PipelineUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimatedCostUsd: number;
}

export interface PipelineResult {
  memoMarkdown: string;
  usage: PipelineUsage;
  simulated: boolean;
  /** The validated step answers and the sections they cite; for audit trails and tests. */
  analysis: { sections: Section[]; steps: StepResults; droppedCitations: number; modelCalls: number };
}

const STAGE_MESSAGES: Record<StepKey, string> = {
  contract: 'Identifying the contract and its parties',
  obligations: 'Identifying the performance obligations',
  price: 'Determining the transaction price',
  allocation: 'Allocating the transaction price',
  recognition: 'Deciding when revenue is recognized',
};

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { client, model, signal, onStage } = input;
  const checkpoint = () => {
    if (signal?.aborted) throw new AnalysisAbortedError({ cause: signal.reason });
  };

  checkpoint();
  await onStage('preparation', 'Splitting the contract into sections');
  // Quotes store normalized text already; normalizing again is idempotent and protects callers
  // that pass raw text (CRLF, smart quotes) from getting different section ids.
  const sections = splitSections(normalizeText(input.documentText));
  const known = new Set(sections.map((s) => s.id));
  const boundary = newBoundary();
  const additionalContext = input.additionalContext?.trim() || null;
  // Before any call, so an oversized contract costs nothing. Measured on the same text the quote
  // was checked against (contract + context note), so a quote that fitted cannot fail here; the
  // fence and section markers add a few percent that the model's real window easily absorbs.
  checkTokenBudget(`${input.documentText}\n${input.additionalContext ?? ''}`, input.maxContextTokens);
  const contractBlock = renderContractBlock({
    boundary,
    sections,
    fileNames: input.fileNames,
    additionalContext,
  });

  const calls: CallUsage[] = [];
  const results: Partial<StepResults> = {};
  let droppedCitations = 0;
  for (const step of STEPS) {
    checkpoint();
    await onStage(step.stage, STAGE_MESSAGES[step.key]);
    const { data, usage } = await callStructured({
      client,
      model,
      name: step.name,
      schema: (step as StepDefinition).schema,
      jsonSchema: step.jsonSchema,
      messages: buildStepMessages(step.key, contractBlock, boundary, results),
      signal,
    });
    calls.push(...usage);
    const cleaned = keepKnownCitations(data, known);
    droppedCitations += cleaned.dropped;
    Object.assign(results, { [step.key]: cleaned.value });
  }

  checkpoint();
  await onStage('memo', 'Writing the memo');
  const steps = results as StepResults;
  const usedModel = calls[0]?.model ?? model;
  const simulated = usedModel.startsWith(SIMULATED_MODEL);
  const memoMarkdown = renderMemo({
    steps,
    sections,
    fileNames: input.fileNames,
    additionalContext,
    model: usedModel,
    simulated,
  });
  const promptTokens = sum(calls.map((c) => c.promptTokens));
  const completionTokens = sum(calls.map((c) => c.completionTokens));
  return {
    memoMarkdown,
    usage: {
      model: usedModel,
      promptTokens,
      completionTokens,
      estimatedCostUsd: estimateCostUsd(usedModel, promptTokens, completionTokens),
    },
    simulated,
    analysis: { sections, steps, droppedCitations, modelCalls: calls.length },
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
