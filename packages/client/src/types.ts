/**
 * The API's data as the client receives it (plain JSON). Declared here, not imported from the
 * server, so the published package carries no server types; src/conformance.ts makes the type
 * checker fail when these drift from the server's router.
 */

/** The pipeline's stages, in order. */
export type StageId =
  | 'queued'
  | 'preparation'
  | 'contract'
  | 'obligations'
  | 'price'
  | 'allocation'
  | 'recognition'
  | 'memo'
  | 'done';

export type AnalysisStatus = 'queued' | 'running' | 'completed' | 'failed' | 'canceled';

/**
 * Why the bar waits or jumped. `retrying`: a model step failed transiently and is tried again at
 * `retryAt` (try `attempt` of `maxAttempts`). `resumed`: a new run picked the analysis up at
 * `stage`; finished steps are not redone. `model-budget`: the step waits for the AI model capacity
 * shared by all analyses (the provider's rate limits) and should call the model at `until`.
 */
export type ProgressNotice =
  | { type: 'retrying'; stage: StageId; attempt: number; maxAttempts: number; retryAt: string }
  | { type: 'resumed'; stage: StageId }
  | { type: 'model-budget'; stage: StageId; until: string };

/**
 * Where a queued analysis stands. `waiting`: `ahead` analyses can start before it, and it should
 * start around `startsAt` (an estimate from recent step durations; null before there are any).
 * `starting`: a worker has just taken it (the last queue state a follower sees).
 */
export interface QueuePosition {
  state: 'waiting' | 'starting';
  ahead: number;
  startsAt: string | null;
}

/** The progress-bar state of an analysis. */
export interface ProgressSnapshot {
  analysisId: string;
  status: AnalysisStatus;
  stage: StageId;
  /** 0–100. */
  percent: number;
  message: string;
  /** ISO time the state was reached. */
  at: string;
  errorMessage?: string | null | undefined;
  /** Present on the live event that announces a retry wait or a resumed run. */
  notice?: ProgressNotice | null | undefined;
  /** Present while the analysis waits in the queue, and once as `starting` when a worker takes it. */
  queue?: QueuePosition | null | undefined;
}

/**
 * How far the model has got within the current step while it writes its answer. Never a result:
 * a later event supersedes it, so missing one loses nothing.
 */
export interface PartialProgress {
  /** Share of the step's expected answer received so far, 0 to 1. */
  share: number;
  /** What the answer shows so far, for a person ("2 performance obligations identified so far"). */
  finding: string | null;
}

/**
 * One item of the progress stream: `snapshot` is the state when a stream (re)started from nothing,
 * `progress` a step forward, `partial` progress within the current step (with `partial`);
 * `completed`, `failed` and `canceled` end the stream. `percent` never decreases along a stream,
 * partial events included: a partial event's `percent` is the bar's position within its stage.
 */
export interface ProgressEvent extends ProgressSnapshot {
  kind: 'snapshot' | 'progress' | 'partial' | 'completed' | 'failed' | 'canceled';
  /** Present on `partial` events only. */
  partial?: PartialProgress | null | undefined;
}

export interface Quote {
  quoteId: string;
  wordCount: number;
  /** What the analysis will cost: the price confirmed is the price charged. */
  credits: number;
  expiresAt: string;
  fileNames: string[];
  /** How the files were read, for the user (e.g. PDF pages with no text layer, not read). */
  warnings?: string[] | undefined;
}

export interface SubmittedAnalysis {
  analysisId: string;
  memoUuid: string;
  status: AnalysisStatus;
  /** false when the idempotency key matched an earlier submit (the same analysis came back). */
  created: boolean;
}

export interface AnalysisSummary {
  analysisId: string;
  memoUuid: string;
  status: AnalysisStatus;
  fileNames: string[];
  wordCount: number;
  quotedCredits: number;
  /** Set when the analysis ended: the charge (0 for failed or canceled ones). */
  finalChargedCredits: number | null;
  errorMessage: string | null;
  startedAt: string;
  completedAt: string | null;
  progress: ProgressSnapshot;
}

export interface AnalysisDetail extends AnalysisSummary {
  /** The memo (Markdown) once completed. */
  memoContent: string | null;
  additionalContext: string | null;
  runStartedAt: string | null;
  model: string | null;
  usage: { promptTokens: number; completionTokens: number; estimatedCostUsd: number | null } | null;
}

/** The analysis steps whose answers make up the memo's step sections, in pipeline order. */
export type StepKey = 'contract' | 'obligations' | 'price' | 'allocation' | 'recognition';

/**
 * The memo so far while an analysis runs: the sections of the steps that have finished, from
 * their checked, saved answers only (never the model's partial text). Its title says "(draft)",
 * a line says how many steps are done, and every part not written yet says "Pending".
 */
export interface MemoDraft {
  /** The draft memo (Markdown). A finished step's section reads word for word as in the memo. */
  markdown: string;
  /** The steps the draft shows, in pipeline order. */
  finishedSteps: StepKey[];
  /** 5, or 1 once step 1 found no contract (the other steps will not run). */
  totalSteps: number;
}

export interface Page<T> {
  items: T[];
  /** Pass it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface Balance {
  balance: number;
  /** Held by analyses that are still running. */
  held: number;
  available: number;
}

export type CreditReason = 'purchase' | 'analysis_charge' | 'adjustment' | 'refund';

export interface CreditTransaction {
  id: string;
  reason: CreditReason;
  /** Signed: purchases are positive, charges negative. */
  amount: number;
  balanceAfter: number;
  memoUuid: string | null;
  description: string;
  createdAt: string;
}

/** Machine-readable reasons the server attaches to refusals. */
export type AppErrorData =
  | { code: 'INSUFFICIENT_CREDITS'; required: number; available: number; shortfall: number }
  | { code: 'QUOTE_EXPIRED' }
  | { code: 'QUOTE_NOT_FOUND' }
  | { code: 'QUOTE_ALREADY_USED' }
  | { code: 'IDEMPOTENCY_CONFLICT' }
  | { code: 'DOCUMENT_UNREADABLE'; reason: string; filename?: string }
  | { code: 'TOO_MANY_WORDS'; words: number; maxWords: number }
  | { code: 'CONTRACT_TOO_LONG'; tokens: number; maxTokens: number }
  | { code: 'FILE_TOO_LARGE'; maxBytes: number; filename?: string }
  /** An upload past an extraction limit (pages, inflated DOCX part, characters, time, memory, busy). */
  | { code: 'DOCUMENT_LIMIT'; reason: string; limit: number | null; filename?: string }
  | { code: 'TOO_MANY_FILES'; maxFiles: number }
  | { code: 'CONTEXT_TOO_LONG'; maxChars: number }
  | { code: 'INVALID_FILENAME' }
  | { code: 'PURCHASES_DISABLED' }
  | { code: 'ANALYSIS_FINISHED'; status: string }
  /** A tRPC batch with more calls than the server's MAX_BATCH_SIZE (HTTP 400). */
  | { code: 'BATCH_TOO_LARGE'; size: number; maxBatchSize: number }
  /** One of the account limits refused the call; the client waits `retryAfterSeconds` and retries. */
  | { code: 'RATE_LIMITED'; limit: string; retryAfterSeconds: number };

export const isTerminalEvent = (e: Pick<ProgressEvent, 'kind'>): boolean =>
  e.kind === 'completed' || e.kind === 'failed' || e.kind === 'canceled';

/**
 * A `partial` event: how far the model has got within `stage` (`partial.share`) and what it has
 * found so far (`partial.finding`). Safe to miss (the next event supersedes it; a resumed stream
 * sends only the latest one), and never a result: the memo is what `get()` returns at the end.
 */
export const isPartialEvent = (
  e: ProgressEvent,
): e is ProgressEvent & { kind: 'partial'; partial: PartialProgress } =>
  e.kind === 'partial' && e.partial != null;
