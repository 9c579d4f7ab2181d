import { z } from 'zod';
import { FIXED_LIMITS } from './limits';
import { StageIdSchema } from './stages';

export const ANALYSIS_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export const AnalysisStatusSchema = z.enum(ANALYSIS_STATUSES);
export type AnalysisStatus = z.infer<typeof AnalysisStatusSchema>;
export const TERMINAL_STATUSES: readonly AnalysisStatus[] = ['completed', 'failed', 'canceled'];
export const isTerminal = (s: AnalysisStatus) => TERMINAL_STATUSES.includes(s);

/**
 * Why the bar waits or jumped, for a short line under it; structured so clients can show it their way.
 * `retrying`: a model step failed transiently and is tried again at `retryAt` (try `attempt` of
 * `maxAttempts`). `resumed`: a new run (after a worker died, a hand-back or a retry) picked the
 * analysis up at `stage`; finished steps are not redone.
 */
export const ProgressNoticeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('retrying'),
    stage: StageIdSchema,
    attempt: z.number().int().min(1),
    maxAttempts: z.number().int().min(1),
    retryAt: z.string(),
  }),
  z.object({ type: z.literal('resumed'), stage: StageIdSchema }),
  /**
   * The step waits for the model budget shared by every worker (the provider's requests and tokens
   * per minute; docs/capacity.md); it is expected to call the model at `until`.
   */
  z.object({ type: z.literal('model-budget'), stage: StageIdSchema, until: z.string() }),
]);
export type ProgressNotice = z.infer<typeof ProgressNoticeSchema>;

/**
 * Where a queued analysis stands (docs/capacity.md). `waiting`: `ahead` analyses can start before it,
 * and it should start around `startsAt` (an estimate from recent step durations; null before any).
 * `starting`: a worker has just taken it, the last queue state a watcher sees.
 */
export const QueuePositionSchema = z.object({
  state: z.enum(['waiting', 'starting']),
  ahead: z.number().int().min(0),
  startsAt: z.string().nullable(),
});
export type QueuePosition = z.infer<typeof QueuePositionSchema>;

/** What a progress bar needs; small on purpose (events never carry the memo). */
export const ProgressSnapshotSchema = z.object({
  analysisId: z.uuid(),
  status: AnalysisStatusSchema,
  stage: StageIdSchema,
  percent: z.number().min(0).max(100),
  message: z.string(),
  /** ISO time the state was reached. */
  at: z.string(),
  errorMessage: z.string().nullable().optional(),
  /** Present on the live event that announces a retry wait or a resumed run. */
  notice: ProgressNoticeSchema.nullish(),
  /** Present while the analysis waits in the queue, and once as `starting` when a worker takes it. */
  queue: QueuePositionSchema.nullish(),
});
export type ProgressSnapshot = z.infer<typeof ProgressSnapshotSchema>;

/**
 * How far the model has got within the current step while it streams its answer
 * (docs/progress-transport.md, "Progress within a step"). Never a result: the step's validated
 * answer is what counts, and a failed attempt's partial text is never shown as one.
 */
export const PartialProgressSchema = z.object({
  /** Share of the step's expected answer received so far, 0 to 1 (the bar's position in the stage). */
  share: z.number().min(0).max(1),
  /** What the answer shows so far, for a person ("2 performance obligations identified so far"). */
  finding: z.string().max(300).nullable(),
});
export type PartialProgress = z.infer<typeof PartialProgressSchema>;

/**
 * One item of the `analysis.progress` stream. `snapshot` is the state when the stream (re)started
 * from nothing; `progress` a step forward (a stage started, a notice); `partial` progress within
 * the current step (carries `partial`; superseded by the next event, so safe to miss); the
 * terminal kinds end the stream.
 */
export const ProgressEventSchema = ProgressSnapshotSchema.extend({
  kind: z.enum(['snapshot', 'progress', 'partial', 'completed', 'failed', 'canceled']),
  /** Present on `partial` events only. */
  partial: PartialProgressSchema.nullish(),
});
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;
export const isTerminalEvent = (e: Pick<ProgressEvent, 'kind'>) =>
  e.kind === 'completed' || e.kind === 'failed' || e.kind === 'canceled';

// ---- API inputs ----
export const QuoteTextInputSchema = z.object({
  text: z.string().min(1).max(FIXED_LIMITS.maxTextChars),
  // Longer names are shortened by the server rather than refused (see normalizeFilename).
  filename: z.string().min(1).max(4_096).optional(),
  additionalContext: z.string().max(FIXED_LIMITS.maxContextChars).optional(),
});
export type QuoteTextInput = z.infer<typeof QuoteTextInputSchema>;

export const QuoteSchema = z.object({
  quoteId: z.uuid(),
  wordCount: z.number().int(),
  credits: z.number().int(),
  expiresAt: z.string(),
  fileNames: z.array(z.string()),
  /** What the user should know about how the files were read (e.g. pages with no text layer). */
  warnings: z.array(z.string()).optional(),
});
export type Quote = z.infer<typeof QuoteSchema>;

export const SubmitInputSchema = z.object({
  quoteId: z.uuid(),
  /** Made once per confirm form so a double click or a retried request starts one analysis. */
  idempotencyKey: z.string().min(8).max(128),
});
export const AnalysisIdInputSchema = z.object({ analysisId: z.uuid() });
export const ListInputSchema = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z.string().nullish(),
});
export const ProgressInputSchema = z.object({
  analysisId: z.uuid(),
  /** Set by httpSubscriptionLink on reconnect from the last `tracked()` id. */
  lastEventId: z.string().nullish(),
});

// ---- Job payloads (the job catalog) ----
export const AnalysisJobDataSchema = z.object({ analysisId: z.uuid() });
export type AnalysisJobData = z.infer<typeof AnalysisJobDataSchema>;
