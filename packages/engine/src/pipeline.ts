import { SIMULATED_MODEL } from '@revmemo/config';
import type { PipelineStage } from '@revmemo/contracts';
import type OpenAI from 'openai';
import type { Flag } from './checks/flags';
import { reviewAnalysis } from './checks/index';
import type { NumbersCheck } from './checks/numbers';
import type { SourceDocument } from './documents/inventory';
import { AnalysisAbortedError, type TransientModelError } from './errors';
import { renderMemo } from './memo/render';
import type { ModelBudget } from './model/budget';
import { estimateCostUsd } from './model/cost';
import { DEFAULT_STEP_RETRY, type RetryWait, type StepRetryPolicy, withStepRetry } from './model/retry';
import { type CallUsage, callStructured } from './model/structured-call';
import { prepareDocuments, type Section } from './preparation/sections';
import { checkTokenBudget } from './preparation/tokens';
import { checkEvidence, type Source } from './steps/evidence';
import { describePartial, expectedAnswerChars, partialShare } from './steps/findings';
import { buildStepMessages, newBoundary, PROMPT_VERSION, renderContractBlock } from './steps/prompts';
import {
  type AnalysisSteps,
  endsAtStep1,
  type ObligationsStep,
  STEPS,
  type StepDefinition,
  type StepKey,
  type StepResults,
  stepFor,
} from './steps/schemas';
import { noteSources, sectionSources } from './steps/sources';

export interface PipelineInput {
  client: OpenAI;
  model: string;
  documentText: string;
  additionalContext?: string | null | undefined;
  fileNames: string[];
  /** Token budget for the contract text plus the context note (what the quote was checked against). */
  maxContextTokens: number;
  /** Called when the pipeline enters a stage; a resumed run announces only the stages it still runs. */
  onStage: (stage: PipelineStage, message: string) => Promise<void>;
  /** Cuts model calls and retry waits short (cancel, shutdown). */
  signal?: AbortSignal | undefined;
  /** Cuts retry waits only (a graceful shutdown hands the job back instead of waiting). */
  waitSignal?: AbortSignal | undefined;
  /**
   * Steps a previous run finished (durable checkpoints): they are used as they are and never sent
   * to the model again. The pipeline starts at the first step missing here.
   */
  finished?: FinishedSteps | undefined;
  /** The memo's date (YYYY-MM-DD); today (UTC) when unset. */
  memoDate?: string | undefined;
  /** Called after each step's answer is validated, before the next step starts: save it there. */
  onStepDone?: ((done: StepDone) => Promise<void>) | undefined;
  /** In-step retries of transient model failures; the job-level retry takes over after them. */
  retry?: StepRetryPolicy | undefined;
  /** Told before the pipeline waits to retry a step. */
  onRetryWait?: ((wait: StepRetryWait) => Promise<void>) | undefined;
  /** The model budget shared by all workers: each request waits for it first (docs/capacity.md). */
  budget?: ModelBudget | undefined;
  /** Told when a step waits a noticeable time for that budget, with when it expects to call. */
  onBudgetWait?: ((wait: { stage: PipelineStage; until: Date }) => Promise<void>) | undefined;
  /** Every model request: answered ('ok'), failed and tried again ('retried'), or failed for good here. */
  onModelCall?: ((call: ModelCall) => Promise<void>) | undefined;
  /**
   * Told as a step's answer streams in (often: per chunk received). Synchronous and cheap on
   * purpose: the caller decides how often to publish and reads `finding()` only then.
   */
  onPartial?: ((partial: StepPartial) => void) | undefined;
}

/** A step's answer so far, while the model streams it. Never a result: only the validated answer is. */
export interface StepPartial {
  stage: PipelineStage;
  /** Share of the expected answer received, 0 to 1; starts again at 0 when a request is retried. */
  share: number;
  /** What the answer shows so far, in words ("2 performance obligations identified so far"); parses on call. */
  finding(): string | null;
}

export interface FinishedStep<K extends StepKey = StepKey> {
  result: StepResults[K];
  /** Evidence items naming a section that does not exist: kept in the answer and flagged. */
  droppedCitations: number;
  usage: CallUsage;
}
export type FinishedSteps = { [K in StepKey]?: FinishedStep<K> };

export interface StepDone {
  key: StepKey;
  result: StepResults[StepKey];
  droppedCitations: number;
  /** Summed over the requests this step took (a repair call included). */
  usage: CallUsage;
  modelCalls: number;
  durationMs: number;
}

export interface StepRetryWait extends Omit<RetryWait, 'error'> {
  stage: PipelineStage;
  reason: string;
}

export interface ModelCall {
  step: StepKey;
  /** 'aborted': sent, then cut by the run's signal (a cancel, a shutdown's deadline); no usage. */
  outcome: 'ok' | 'retried' | 'failed' | 'aborted';
  /** Null for a request that got no answer (an error status, a timeout, a dropped connection). */
  usage: CallUsage | null;
}

export interface PipelineUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimatedCostUsd: number;
}

/**
 * The audit trail stored with the memo and exported as JSON: the validated answers exactly as the
 * model gave them, what code checked, and what the memo was made from (docs/memo.md).
 */
export interface StructuredAnswers {
  version: 1;
  memoDate: string;
  model: string;
  promptVersion: string;
  documents: SourceDocument[];
  /** True when step 1 found no contract and steps 2 to 5 were not run. */
  endedAtStep1: boolean;
  steps: AnalysisSteps;
  flags: Flag[];
  numbers: NumbersCheck | null;
}

export interface PipelineResult {
  memoMarkdown: string;
  structured: StructuredAnswers;
  /** What the answers the memo rests on cost (finished steps from earlier runs included). */
  usage: PipelineUsage;
  simulated: boolean;
  /** The validated step answers and the sections they cite; for audit trails and tests. */
  analysis: {
    sections: Section[];
    steps: AnalysisSteps;
    droppedCitations: number;
    /** Requests made by this run, failed ones included. */
    modelCalls: number;
  };
}

const STAGE_MESSAGES: Record<StepKey, string> = {
  contract: 'Identifying the contract and its parties',
  obligations: 'Identifying the performance obligations',
  price: 'Determining the transaction price',
  allocation: 'Allocating the transaction price',
  recognition: 'Deciding when revenue is recognized',
};

/**
 * The five ASC 606 steps over the contract, then the memo. Each step is a durable unit: its
 * validated answer goes to `onStepDone` before the next starts, and a run given `finished` steps
 * resumes after them. The memo depends only on the step answers and the contract, so a resumed run
 * writes the same memo as an uninterrupted one.
 */
export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { client, model, signal, onStage } = input;
  const finished: FinishedSteps = { ...input.finished };
  const checkpoint = () => {
    if (signal?.aborted) throw new AnalysisAbortedError({ cause: signal.reason });
  };
  const resuming = Object.keys(finished).length > 0;

  checkpoint();
  // A resumed run does not announce preparation: the bar already stands further on.
  if (!resuming) await onStage('preparation', 'Splitting the contract into sections');
  // Quotes store normalized text already; normalizing again is idempotent and protects callers
  // that pass raw text (CRLF, smart quotes) from getting different section ids.
  const { sections, documents } = prepareDocuments(input.documentText, input.fileNames);
  const boundary = newBoundary();
  const additionalContext = input.additionalContext?.trim() || null;
  const note = noteSources(additionalContext);
  const sources: Source[] = [...sectionSources(sections), ...note];
  const byId = new Map(sources.map((s) => [s.id, s]));
  // Before any call, so an oversized contract costs nothing. Measured on the same text the quote
  // was checked against (contract + context note), so a quote that fitted cannot fail here; the
  // fence and section markers add a few percent that the model's real window easily absorbs.
  checkTokenBudget(`${input.documentText}\n${input.additionalContext ?? ''}`, input.maxContextTokens);
  const contractBlock = renderContractBlock({
    boundary,
    sections: sectionSources(sections),
    documents,
    note,
  });

  const policy = input.retry ?? DEFAULT_STEP_RETRY;
  const waitSignal = anySignal(signal, input.waitSignal);
  const results: Partial<StepResults> = {};
  let modelCalls = 0;
  for (const base of STEPS) {
    // "No contract yet" ends the analysis with step 1's reasons (ASC 606-10-25-6/25-7).
    if (results.contract && endsAtStep1(results.contract)) break;
    const step = stepFor(base.key, results.obligations);
    const done = finished[step.key];
    // A checkpoint that no longer fits the step's shape (saved by an earlier release, before a deploy
    // changed the schema) is redone, never trusted (docs/durable-steps.md). The shape, not this
    // analysis's obligation-id enum: an answer naming an unknown obligation is flagged, not redone.
    if (done && (base as StepDefinition).schema.safeParse(done.result).success) {
      Object.assign(results, { [step.key]: done.result });
      continue;
    }
    checkpoint();
    await onStage(step.stage, STAGE_MESSAGES[step.key]);
    const started = performance.now();
    const answered: CallUsage[] = [];
    let stepCalls = 0;
    const report = async (outcome: ModelCall['outcome'], usage: CallUsage | null) => {
      modelCalls++;
      stepCalls++;
      await input.onModelCall?.({ step: step.key, outcome, usage });
    };
    const pending: Promise<void>[] = [];
    const onChunk = partialReporter(step.key, step.stage, results.obligations, input.onPartial);
    const { data } = await withStepRetry(
      policy,
      () =>
        callStructured({
          client,
          model,
          name: step.name,
          schema: (step as StepDefinition).schema,
          jsonSchema: step.jsonSchema,
          messages: buildStepMessages(step.key, contractBlock, boundary, results),
          signal,
          budget: input.budget,
          waitSignal,
          onBudgetWait: async (until) => {
            await input.onBudgetWait?.({ stage: step.stage, until });
          },
          onAnswer: (usage) => {
            answered.push(usage);
            pending.push(report('ok', usage));
          },
          onAbandoned: () => {
            pending.push(report('aborted', null));
          },
          onChunk,
        }),
      {
        signal: waitSignal,
        onFailedTry: (_err: TransientModelError, retried) => {
          pending.push(report(retried ? 'retried' : 'failed', null));
        },
        onWait: async (wait) => {
          await Promise.all(pending.splice(0));
          await input.onRetryWait?.({
            stage: step.stage,
            attempt: wait.attempt,
            maxAttempts: wait.maxAttempts,
            retryAt: wait.retryAt,
            reason: wait.error.status ? `answered ${wait.error.status}` : 'could not be reached',
          });
        },
      },
    ).finally(() => Promise.all(pending.splice(0)));
    // Nothing is stripped: evidence that fails its check stays and is flagged in the memo.
    const unknownIds = checkEvidence(data, byId).filter((e) => e.problem === 'unknown_section').length;
    const usage = sumUsage(answered, model);
    finished[step.key] = { result: data, droppedCitations: unknownIds, usage } as never;
    Object.assign(results, { [step.key]: data });
    await input.onStepDone?.({
      key: step.key,
      result: data,
      droppedCitations: unknownIds,
      usage,
      modelCalls: stepCalls,
      durationMs: performance.now() - started,
    });
  }

  checkpoint();
  await onStage('memo', 'Writing the memo');
  const steps = results as AnalysisSteps;
  const ranSteps = STEPS.filter((s) => steps[s.key] !== undefined);
  const stepUsage = ranSteps.map((s) => finished[s.key]?.usage).filter((u): u is CallUsage => !!u);
  const usedModel = stepUsage[0]?.model ?? model;
  const simulated = usedModel.startsWith(SIMULATED_MODEL);
  const memoDate = input.memoDate ?? new Date().toISOString().slice(0, 10);
  const review = reviewAnalysis(steps, sources);
  const memoMarkdown = renderMemo({
    steps,
    sources,
    documents,
    review,
    additionalContext,
    model: usedModel,
    promptVersion: PROMPT_VERSION,
    memoDate,
    simulated,
  });
  const total = sumUsage(stepUsage, usedModel);
  return {
    memoMarkdown,
    structured: {
      version: 1,
      memoDate,
      model: usedModel,
      promptVersion: PROMPT_VERSION,
      documents,
      endedAtStep1: ranSteps.length < STEPS.length,
      steps,
      flags: review.flags,
      numbers: review.numbers,
    },
    usage: {
      ...total,
      estimatedCostUsd: estimateCostUsd(usedModel, total.promptTokens, total.completionTokens),
    },
    simulated,
    analysis: {
      sections,
      steps,
      droppedCitations: sum(ranSteps.map((s) => finished[s.key]?.droppedCitations ?? 0)),
      modelCalls,
    },
  };
}

/**
 * What a finished analysis costs: the quote, or a fifth of it (at least one credit) when step 1
 * found no contract and the memo explains why instead of running steps 2 to 5. One step of five
 * was paid to the model; the short memo is still a deliverable (docs/memo.md).
 */
export function creditsToCharge(quotedCredits: number, result: Pick<PipelineResult, 'structured'>): number {
  return result.structured.endedAtStep1
    ? Math.max(1, Math.ceil(quotedCredits / STEPS.length))
    : quotedCredits;
}

/** Turns a request's streamed chunks into StepPartial reports; the finding is parsed only when read. */
function partialReporter(
  key: StepKey,
  stage: PipelineStage,
  obligations: ObligationsStep | undefined,
  onPartial: PipelineInput['onPartial'],
): ((receivedChars: number, textSoFar: string) => void) | undefined {
  if (!onPartial) return undefined;
  const known = obligations?.performanceObligations.length ?? 0;
  const expected = expectedAnswerChars(key, known);
  return (receivedChars, textSoFar) =>
    onPartial({
      stage,
      share: partialShare(receivedChars, expected),
      finding: () => describePartial(key, textSoFar, known),
    });
}

function sumUsage(calls: CallUsage[], fallbackModel: string): CallUsage {
  return {
    model: calls[0]?.model ?? fallbackModel,
    promptTokens: sum(calls.map((c) => c.promptTokens)),
    completionTokens: sum(calls.map((c) => c.completionTokens)),
  };
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length > 1 ? AbortSignal.any(present) : present[0];
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
