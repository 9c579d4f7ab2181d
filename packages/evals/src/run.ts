import { PIPELINE_STAGES } from '@revmemo/contracts';
import {
  estimateCostUsd,
  normalizeText,
  runPipeline,
  type Section,
  STEPS,
  type StepKey,
  type StepResults,
  splitSections,
} from '@revmemo/engine';
import OpenAI from 'openai';
import { type CaseReport, type EvalReport, type Score, toScore, type Usage } from './report';
import { scoreCase } from './score';
import type { EvalCase } from './types';

export interface ModelTarget {
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  simulated: boolean;
  timeoutMs: number;
  maxContextTokens: number;
}

export interface ProgressUpdate {
  /** Pipeline stages finished over all cases, and how many there are in total. */
  done: number;
  total: number;
  casesDone: number;
  cases: number;
  caseId: string;
  message: string;
}

export interface RunOptions {
  cases: readonly EvalCase[];
  target: ModelTarget;
  concurrency: number;
  onProgress?: (update: ProgressUpdate) => void;
  /** Memo of each case that produced one (for the report directory). */
  onMemo?: (caseId: string, markdown: string) => void;
}

/**
 * Runs every case through the real pipeline (`runPipeline`, the same five structured calls a
 * user's analysis makes) and scores the answers. Nothing here touches a database, a queue or
 * credits: contract text in, report out.
 */
export async function runEval(options: RunOptions): Promise<EvalReport> {
  const { cases, target } = options;
  const startedAt = new Date().toISOString();
  const stagesPerCase = PIPELINE_STAGES.length;
  const total = cases.length * stagesPerCase;
  let done = 0;
  let casesDone = 0;
  const tick = (caseId: string, message: string, stages = 1) => {
    done += stages;
    options.onProgress?.({ done, total, casesDone, cases: cases.length, caseId, message });
  };

  const results: CaseReport[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const evalCase = cases[index] as EvalCase;
      let stagesSeen = 0;
      const report = await runCase(evalCase, target, options.onMemo, (message) => {
        stagesSeen++;
        tick(evalCase.id, message);
      });
      casesDone++;
      tick(
        evalCase.id,
        report.status === 'error' ? `failed: ${report.error}` : 'scored',
        stagesPerCase - stagesSeen,
      );
      results[index] = report;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, cases.length)) }, worker));

  const steps = stepTotals(results);
  return {
    schemaVersion: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    model: target.model,
    simulated: target.simulated,
    baseUrl: target.baseUrl ? new URL(target.baseUrl).origin : null,
    concurrency: options.concurrency,
    total: toScore(sum(results.map((r) => r.score.earned)), sum(results.map((r) => r.score.possible))),
    steps,
    inventedFacts: sum(results.map((r) => r.inventedFacts)),
    usage: {
      promptTokens: sum(results.map((r) => r.usage.promptTokens)),
      completionTokens: sum(results.map((r) => r.usage.completionTokens)),
      estimatedCostUsd: round6(sum(results.map((r) => r.usage.estimatedCostUsd))),
      modelCalls: sum(results.map((r) => r.usage.modelCalls)),
    },
    cases: results,
  };
}

async function runCase(
  evalCase: EvalCase,
  target: ModelTarget,
  onMemo: RunOptions['onMemo'],
  onStage: (message: string) => void,
): Promise<CaseReport> {
  const started = performance.now();
  const capture = new Capture();
  const client = new OpenAI({
    apiKey: target.apiKey,
    baseURL: target.baseUrl ?? null,
    timeout: target.timeoutMs,
    // An evaluation may run many calls at once against a rate-limited provider.
    maxRetries: 3,
    fetch: capture.fetch,
  });
  let sections: Section[] = splitSections(normalizeText(evalCase.contract));
  let answer: StepResults | null = null;
  let error: string | null = null;
  let memoOpenItems = 0;
  let checkFlags = 0;
  try {
    const result = await runPipeline({
      client,
      model: target.model,
      documentText: evalCase.contract,
      additionalContext: null,
      fileNames: [`${evalCase.id}.txt`],
      maxContextTokens: target.maxContextTokens,
      onStage: async (_stage, message) => onStage(message),
    });
    sections = result.analysis.sections;
    // The model's own answers as it gave them (the engine flags, never changes them).
    // Steps not run (step 1 found no contract) score as empty answers.
    answer = { ...emptyAnswer(), ...result.analysis.steps, ...capture.answers() };
    memoOpenItems = countOpenItems(result.memoMarkdown);
    checkFlags = result.structured.flags.length;
    onMemo?.(evalCase.id, result.memoMarkdown);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }

  const scored = scoreCase(evalCase, answer ?? emptyAnswer(), sections);
  const fields = answer
    ? scored.fields
    : scored.fields.map((f) => ({
        ...f,
        earned: 0,
        passed: false,
        invented: false,
        why: `no answer: ${error}`,
      }));
  const byStep = (key: StepKey): Score => {
    const mine = fields.filter((f) => f.step === key);
    return toScore(sum(mine.map((f) => f.earned)), sum(mine.map((f) => f.points)));
  };
  const usage: Usage = {
    promptTokens: capture.promptTokens,
    completionTokens: capture.completionTokens,
    estimatedCostUsd: estimateCostUsd(
      capture.model ?? target.model,
      capture.promptTokens,
      capture.completionTokens,
    ),
    modelCalls: capture.calls,
  };
  return {
    id: evalCase.id,
    title: evalCase.title,
    guidance: evalCase.guidance,
    status: answer ? 'scored' : 'error',
    error,
    score: toScore(sum(fields.map((f) => f.earned)), sum(fields.map((f) => f.points))),
    steps: {
      contract: byStep('contract'),
      obligations: byStep('obligations'),
      price: byStep('price'),
      allocation: byStep('allocation'),
      recognition: byStep('recognition'),
    },
    inventedFacts: fields.filter((f) => f.invented).length,
    memoOpenItems,
    checkFlags,
    fields,
    usage,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Sees every model call of one case over the wire: token usage (failed and repair calls
 * included) and the last schema-valid answer per step, as the model sent it.
 */
class Capture {
  promptTokens = 0;
  completionTokens = 0;
  calls = 0;
  model: string | undefined;
  private readonly byStep = new Map<StepKey, unknown>();

  fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const stepName = schemaName(init?.body);
    if (!stepName) return res;
    // Read from a copy; the engine streams its answers, so this waits for the whole stream.
    const body = readAnswer(
      await res
        .clone()
        .text()
        .catch(() => ''),
    );
    if (!body) return res;
    this.calls++;
    this.promptTokens += body.usage?.prompt_tokens ?? 0;
    this.completionTokens += body.usage?.completion_tokens ?? 0;
    this.model ??= body.model;
    const step = STEPS.find((s) => s.name === stepName);
    const content = body.content;
    if (step && typeof content === 'string') {
      const parsed = step.schema.safeParse(parseJson(content));
      if (parsed.success) this.byStep.set(step.key, parsed.data);
    }
    return res;
  };

  answers(): Partial<StepResults> {
    return Object.fromEntries(this.byStep) as Partial<StepResults>;
  }
}

interface WireAnswer {
  model?: string | undefined;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  content: string | null;
}

/**
 * One answer as sent: a JSON completion, or a streamed one (server-sent `data:` chunks whose
 * content deltas are joined; usage comes in the last chunk). Null for anything else.
 */
function readAnswer(text: string): WireAnswer | null {
  if (!text.startsWith('data:')) {
    const body = parseJson(text) as {
      model?: string;
      usage?: WireAnswer['usage'];
      choices?: { message?: { content?: string | null } }[];
    } | null;
    if (!body || typeof body !== 'object') return null;
    return { model: body.model, usage: body.usage, content: body.choices?.[0]?.message?.content ?? null };
  }
  const answer: WireAnswer = { content: null };
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const chunk = parseJson(line.slice(5).trim()) as {
      model?: string;
      usage?: WireAnswer['usage'] | null;
      choices?: { delta?: { content?: string | null } }[];
    } | null;
    if (!chunk || typeof chunk !== 'object') continue; // "[DONE]"
    answer.model ??= chunk.model;
    if (chunk.usage) answer.usage = chunk.usage;
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === 'string') answer.content = (answer.content ?? '') + delta;
  }
  return answer;
}

function schemaName(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  const parsed = parseJson(body) as { response_format?: { json_schema?: { name?: unknown } } } | null;
  const name = parsed?.response_format?.json_schema?.name;
  return typeof name === 'string' ? name : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Numbered items under "## Open items" ("None identified." counts 0). */
export function countOpenItems(memo: string): number {
  const at = memo.indexOf('\n## Open items\n');
  if (at < 0) return 0;
  const rest = memo.slice(at + '\n## Open items\n'.length);
  const end = rest.search(/\n## /);
  return (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => /^\d+\. /.test(l)).length;
}

/** An answer with nothing in it: scored for a case whose analysis failed, so every field counts 0. */
function emptyAnswer(): StepResults {
  const criterion = { evidence: [], rationale: '', status: 'unclear' as const };
  const presence = { evidence: [], analysis: '', present: 'unclear' as const };
  const judgement = { evidence: [], facts: '', analysis: '', conclusion: 'needs_information' as const };
  const base = { assumptions: [], openQuestions: [], conclusion: '' };
  return {
    contract: {
      parties: [],
      term: {
        evidence: [],
        description: '',
        startDate: null,
        endDate: null,
        durationMonths: null,
        renewalAndTermination: null,
        terminationForConvenience: 'unclear',
        enforceableTermMonths: null,
      },
      criteria: { a: criterion, b: criterion, c: criterion, d: criterion, e: criterion },
      combination: { evidence: [], analysis: '' },
      modifications: [],
      modificationTerms: { evidence: [], analysis: '' },
      outcome: 'needs_information',
      ...base,
    },
    obligations: {
      promisedGoodsOrServices: [],
      performanceObligations: [],
      judgements: {
        materialRights: judgement,
        principalVersusAgent: judgement,
        setupFees: judgement,
        warranty: judgement,
        rightOfReturn: judgement,
        breakage: judgement,
        usageBasedRoyalty: judgement,
        contractCosts: judgement,
      },
      ...base,
    },
    price: {
      currency: null,
      fixedConsideration: [],
      variableConsideration: [],
      significantFinancing: presence,
      noncashConsideration: presence,
      considerationPayableToCustomer: presence,
      transactionPrice: { evidence: [], description: '', amount: null },
      ...base,
    },
    allocation: {
      allocations: [],
      discount: { evidence: [], analysis: '', present: 'unclear', amount: null },
      variableConsiderationAllocation: { evidence: [], analysis: '' },
      ...base,
    },
    recognition: { recognition: [], ...base },
  };
}

function stepTotals(results: CaseReport[]): EvalReport['steps'] {
  const of = (key: StepKey) =>
    toScore(sum(results.map((r) => r.steps[key].earned)), sum(results.map((r) => r.steps[key].possible)));
  return {
    contract: of('contract'),
    obligations: of('obligations'),
    price: of('price'),
    allocation: of('allocation'),
    recognition: of('recognition'),
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
