import { PROGRESS_DEFAULTS } from '@revmemo/config';
import {
  AnalysisJobDataSchema,
  PIPELINE_STAGES,
  type PipelineStage,
  type ProgressNotice,
  stageIndex,
} from '@revmemo/contracts';
import {
  beginRun,
  captureAnalysis,
  type Db,
  getAnalysis,
  listStatuses,
  type RunStart,
  recordModelCall,
  type StepCheckpoint,
  saveStep,
  saveStepWithProgress,
  updateProgress,
} from '@revmemo/db';
import {
  creditsToCharge,
  estimateCostUsd,
  type FinishedSteps,
  type ModelBudget,
  type ModelCall,
  type PipelineInput,
  RetryLaterError,
  runPipeline,
  type StepDone,
  type StepRetryPolicy,
  type StepRetryWait,
} from '@revmemo/engine';
import {
  type AnalysisProcessor,
  DelayedError,
  type FairGate,
  type Job,
  type ProgressPublisher,
  UnrecoverableError,
  WaitingError,
} from '@revmemo/queue';
import { classifyFailure, jobFailureReason } from './failures';
import { type Log, withFields } from './log';
import type { RuntimeMetrics } from './metrics';
import { PartialProgress } from './partial-progress';
import { stageEvent, stageName } from './progress';
import { failAnalysis, publishStored, publishWithRetry, type ReleaseDeps } from './release';

export interface AnalysisHandlerDeps {
  db: Db;
  publisher: ProgressPublisher;
  model: {
    client: PipelineInput['client'];
    name: string;
    maxContextTokens: number;
    /** In-step retries of transient model failures (MODEL_STEP_*). */
    stepRetry?: StepRetryPolicy;
  };
  log: Log;
  /** Aborted when the process is asked to stop: a running job hands itself back at the next step. */
  stopping: AbortSignal;
  /** Aborted when the shutdown grace period is over: in-flight model calls are cut as well. */
  stopNow?: AbortSignal;
  /** Worker deaths at one step, with no step finished in between, that make a contract poison. */
  poisonStalls?: number;
  /** Absent in tests that do not look at metrics. */
  metrics?: RuntimeMetrics;
  /**
   * Partial-progress events per analysis per second while a step streams (PROGRESS_PARTIALS_PER_SECOND;
   * 0 = none). Absent: the setting's default.
   */
  partialsPerSecond?: number;
  /**
   * Capacity and fairness (docs/capacity.md): the per-user gate whose slot an ended analysis frees,
   * the model budget every request waits for, and where step durations and queue waits are kept.
   * Absent in tests that run the handler alone.
   */
  capacity?: {
    gate: FairGate;
    budget?: ModelBudget | undefined;
    recordStepDuration(ms: number): Promise<void>;
    recordQueueWait(ms: number): Promise<void>;
  };
}

/** Thrown from onStage to leave the pipeline at a step boundary. */
class HandBack extends Error {
  override readonly name = 'HandBack';
}
/** Canceled, finished, or taken over by a newer run: this run must stop touching the analysis. */
class NoLongerRunning extends Error {
  override readonly name = 'NoLongerRunning';
}

export type AnalysisOutcome = 'completed' | 'already-terminal' | 'canceled' | 'missing';

const DEFAULT_POISON_STALLS = 5;

/**
 * The analysis job (lifecycle in docs/durable-steps.md). Postgres is the source of truth and is
 * written before every publish, so a follower's snapshot never runs behind the events. Re-running a
 * job is always safe: a terminal analysis is a no-op, finished steps are not sent to the model
 * again, and capture charges at most once.
 */
export function createAnalysisProcessor(deps: AnalysisHandlerDeps): AnalysisProcessor {
  const handle = freeingSlots(deps, createJobHandler(deps));
  const duration = deps.metrics?.jobDuration;
  if (!duration) return handle;
  return async (job, token, signal) => {
    const end = duration.startTimer();
    try {
      const outcome = await handle(job, token, signal);
      end({ outcome: String(outcome) });
      return outcome;
    } catch (err) {
      end({ outcome: outcomeOfThrow(err) });
      throw err;
    }
  };
}

/**
 * An analysis that ended frees its per-user slot, so the user's next one is admitted. A job that
 * is handed back, parked or retried keeps its slot: it will run again. Checked in Postgres, because
 * a run told to stop may only have been overtaken by a newer run of the same analysis.
 */
function freeingSlots(deps: AnalysisHandlerDeps, handle: AnalysisProcessor): AnalysisProcessor {
  const gate = deps.capacity?.gate;
  if (!gate) return handle;
  const finishIfEnded = async (analysisId: string | undefined) => {
    if (!analysisId) return;
    try {
      const [row] = await listStatuses(deps.db, [analysisId]);
      if (!row || row.status === 'completed' || row.status === 'failed' || row.status === 'canceled')
        await gate.finish(analysisId);
    } catch (err) {
      // The sweeper's reconcile frees it later.
      deps.log.warn({ err, analysis_id: analysisId }, 'could not free the per-user slot');
    }
  };
  return async (job, token, signal) => {
    try {
      const outcome = await handle(job, token, signal);
      await finishIfEnded(job.id);
      return outcome;
    } catch (err) {
      if (err instanceof UnrecoverableError) await finishIfEnded(job.id);
      throw err;
    }
  };
}

function outcomeOfThrow(err: unknown): string {
  if (err instanceof WaitingError) return 'handed-back';
  if (err instanceof DelayedError) return 'delayed';
  if (err instanceof UnrecoverableError) return 'failed';
  return 'retry';
}

/** What one run of one job knows; passed to the named steps of the lifecycle below. */
interface Run {
  deps: AnalysisHandlerDeps;
  job: Job;
  token: string | undefined;
  jobSignal: AbortSignal | undefined;
  analysisId: string;
  log: Log;
  release: ReleaseDeps;
  /**
   * The model-call records still being written (recordModelCall runs beside the steps, off the
   * path from an answer to its progress event). Awaited before capture and before any failure
   * handling, so the totals the charge and the audit read are complete.
   */
  recording: Promise<void>;
  /**
   * Progress within a step, and the percent every other event of the run holds to (never back).
   * Closed before anything ends the run, so no partial follows a terminal event.
   */
  partials: PartialProgress;
  /** Aborted when the run finds the analysis ended (canceled meanwhile): cuts its model call or wait. */
  ended: AbortController;
}

function createJobHandler(deps: AnalysisHandlerDeps): AnalysisProcessor {
  return async (job, token, jobSignal) => {
    const parsed = AnalysisJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      deps.log.error({ job_id: job.id }, 'invalid job payload');
      throw new UnrecoverableError('invalid job payload');
    }
    const { analysisId } = parsed.data;
    const log = withFields(deps.log, {
      analysis_id: analysisId,
      job_id: job.id,
      attempt: job.attemptsMade + 1,
    });
    const ended = new AbortController();
    const run: Run = {
      deps,
      job,
      token,
      jobSignal,
      analysisId,
      log,
      release: {
        db: deps.db,
        publisher: deps.publisher,
        log,
        metrics: deps.metrics,
        gate: deps.capacity?.gate,
      },
      recording: Promise.resolve(),
      partials: new PartialProgress({
        analysisId,
        publisher: deps.publisher,
        log,
        perSecond: deps.partialsPerSecond ?? PROGRESS_DEFAULTS.partialsPerSecond,
        onAnalysisEnded: () => ended.abort(new NoLongerRunning()),
      }),
      ended,
    };
    if (deps.stopping.aborted) {
      // A stopping worker can still be handed a job (BullMQ fetches ahead): give it straight back,
      // before it counts as a run.
      await handBack(job, token, log);
      throw new WaitingError();
    }
    // Read beside beginRun: where the last run left the bar (its partial events are not in Postgres).
    const previous = deps.publisher.lastEvent(analysisId).catch((err: unknown) => {
      log.warn({ err }, 'could not read the last progress event; the bar may hold lower');
      return undefined;
    });
    let start: RunStart | null;
    try {
      start = await beginRun(deps.db, analysisId, { stalledCounter: job.stalledCounter });
    } catch (err) {
      // Postgres is down or failing: nothing was started, so BullMQ's retry is the right answer.
      log.error({ err }, 'could not start the analysis run; will retry');
      throw new Error(jobFailureReason(err));
    }
    run.partials.continueFrom(await previous);
    if (!start) return finishedElsewhere(run);
    if (start.analysis.attempts === 1) recordQueueWait(deps, start);
    if (start.stallStreak >= (deps.poisonStalls ?? DEFAULT_POISON_STALLS)) return declarePoison(run, start);
    log.info(
      { resumed_after_steps: start.steps.length, after_worker_death: start.afterWorkerDeath },
      start.analysis.attempts > 1 ? 'analysis run resumed' : 'analysis started',
    );
    const stopEndWatch = watchForEnd(run);
    try {
      const memo = await runSteps(run, start).finally(stopEndWatch);
      await Promise.all([run.recording, run.partials.close()]);
      return await capture(run, memo);
    } catch (err) {
      await Promise.all([run.recording, run.partials.close()]);
      return await handleRunError(run, start, err);
    }
  };
}

/** How often a running analysis checks whether it ended meanwhile (one EXISTS per check). */
const END_CHECK_MS = 1_000;

/**
 * A cancel comes from the web process: it commits, then publishes `canceled`, which sets the
 * analysis's ended marker. The run checks the marker every second and aborts its model request or
 * wait, so a canceled analysis stops spending tokens and frees its worker slot instead of running
 * to its next write. While an answer streams, a refused partial publish notices it sooner.
 */
function watchForEnd(run: Run): () => void {
  let checking = false;
  const timer = setInterval(() => {
    if (checking || run.ended.signal.aborted) return;
    checking = true;
    run.deps.publisher
      .hasEnded(run.analysisId)
      .then((ended) => {
        if (ended) run.ended.abort(new NoLongerRunning());
      })
      // Redis away: the run's next write to Postgres finds out instead.
      .catch(() => undefined)
      .finally(() => {
        checking = false;
      });
  }, END_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Submit to first run: the worker metric, and the recent waits `pnpm ops doctor` shows. */
function recordQueueWait(deps: AnalysisHandlerDeps, start: RunStart) {
  const began = start.analysis.runStartedAt ?? new Date();
  const ms = Math.max(0, began.getTime() - start.analysis.startedAt.getTime());
  deps.metrics?.queueWait.observe(ms / 1000);
  deps.capacity?.recordQueueWait(ms).catch(() => undefined);
}

/** The analysis is terminal or unknown: republish its final state (the last event may be lost). */
async function finishedElsewhere(run: Run): Promise<AnalysisOutcome> {
  const row = await publishStored(run.release, run.analysisId);
  if (!row) {
    run.log.warn({}, 'analysis not found; nothing to do');
    return 'missing';
  }
  return 'already-terminal';
}

/**
 * The same step killed the worker again and again: stop feeding it to workers. Judged by progress
 * (start.stallStreak), so a run that keeps getting further is never called poison.
 */
async function declarePoison(run: Run, start: RunStart): Promise<never> {
  const stage = stageOfStep(start.steps.length);
  const message =
    `This contract stopped the analysis worker ${start.stallStreak} times at ${stageName(stage)} ` +
    '(the worker process died each time), so the analysis was stopped. Nothing was charged. ' +
    'Contact support with this analysis id.';
  const outcome = await failAnalysis(run.release, {
    analysisId: run.analysisId,
    errorMessage: message,
    by: 'poison',
    attempt: start.analysis.attempts,
  });
  run.log.error({ stall_streak: start.stallStreak, stage, outcome }, 'analysis declared poison');
  throw new UnrecoverableError('poison: the worker died repeatedly at the same step');
}

/** The pipeline from the first unfinished step, saving each finished step before the next starts. */
async function runSteps(run: Run, start: RunStart) {
  const { deps, analysisId, log } = run;
  const attempt = start.analysis.attempts;
  const rerun = attempt > 1 || start.steps.length > 0;
  // The bar never steps back: a re-run does not announce stages before the one already reached.
  let reached = stageIndex(asStage(start.analysis.progressStage) ?? 'queued');
  let resumedNotice: ProgressNotice | undefined;
  // The first event of a run that was waiting in the queue ends the queue display: "starting".
  let leftQueue = stageIndex(asStage(start.analysis.progressStage) ?? 'queued') > stageIndex('queued');

  // A finished step waits here for the next stage's progress, to be saved with it in one commit
  // (saveStepWithProgress): still before the next step starts, and before its event is published.
  let unsaved: StepCheckpoint | undefined;
  // Recent step durations feed queue-position estimates only: sent once the step's event is out,
  // so that Redis command is not on the path from the answer to the event, and never awaited.
  let unsentDuration: number | undefined;
  const sendDuration = () => {
    if (unsentDuration === undefined) return;
    deps.capacity?.recordStepDuration(unsentDuration).catch(() => undefined);
    unsentDuration = undefined;
  };
  const saveUnsaved = async () => {
    sendDuration();
    const checkpoint = unsaved;
    if (!checkpoint) return;
    unsaved = undefined;
    if ((await saveStep(deps.db, checkpoint)) === 'superseded')
      throw new NoLongerRunning('a newer run owns this analysis');
  };

  // Held by the run's partial progress: no partial overtakes the event, and its percent never steps
  // back below one already published for the stage (watchers drop anything below their floor).
  const setProgress = (stage: PipelineStage, message: string, notice?: ProgressNotice) =>
    run.partials.hold(stage, async (percent) => {
      const checkpoint = unsaved;
      unsaved = undefined;
      const progress = { stage, percent, message };
      const written = checkpoint
        ? (await saveStepWithProgress(deps.db, checkpoint, progress)) !== 'superseded'
        : await updateProgress(deps.db, analysisId, { ...progress, attempt });
      if (!written) throw new NoLongerRunning('analysis is no longer running');
      const event = stageEvent(analysisId, stage, message, { notice, percent });
      if (!leftQueue) {
        leftQueue = true;
        event.queue = { state: 'starting', ahead: 0, startsAt: null };
      }
      await publishWithRetry(run.release, event);
      sendDuration();
    });

  const onStage = async (stage: PipelineStage, message: string) => {
    // Step boundaries are the safe points: nothing is half-done, and finished steps are saved.
    if (deps.stopping.aborted) {
      await saveUnsaved();
      throw new HandBack('worker shutting down');
    }
    run.partials.stageBegan(stage, message);
    if (stageIndex(stage) < reached) return saveUnsaved();
    reached = stageIndex(stage);
    if (rerun && !resumedNotice) {
      resumedNotice = { type: 'resumed', stage };
      const why = start.afterWorkerDeath ? 'A worker stopped; resuming' : 'Resuming';
      return setProgress(stage, `${why} at ${stageName(stage)}. Finished steps are kept.`, resumedNotice);
    }
    await setProgress(stage, message);
  };

  const onStepDone = async (done: StepDone) => {
    run.partials.stepEnded();
    unsaved = {
      analysisId,
      attempt,
      step: done.key,
      result: done.result,
      droppedCitations: done.droppedCitations,
      model: done.usage.model,
      promptTokens: done.usage.promptTokens,
      completionTokens: done.usage.completionTokens,
      modelCalls: done.modelCalls,
      durationMs: done.durationMs,
    };
    unsentDuration = done.durationMs;
  };

  const onModelCall = async (call: ModelCall) => {
    deps.metrics?.modelCalls.inc({ outcome: call.outcome });
    const usage = call.usage;
    const record = {
      model: usage?.model ?? deps.model.name,
      promptTokens: usage?.promptTokens ?? 0,
      completionTokens: usage?.completionTokens ?? 0,
      estimatedCostUsd: usage ? estimateCostUsd(usage.model, usage.promptTokens, usage.completionTokens) : 0,
    };
    // Queued, in order, off the step's path; the handler awaits run.recording before it ends.
    // Sent on the next turn of the event loop: the step's own statement (same row) goes out first
    // and does not wait behind this one's row lock.
    run.recording = run.recording
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() =>
        recordModelCall(deps.db, analysisId, record).catch((err: unknown) =>
          log.warn({ err }, 'could not record a model call'),
        ),
      );
  };

  const onRetryWait = async (wait: StepRetryWait) => {
    const seconds = Math.max(1, Math.round((wait.retryAt.getTime() - Date.now()) / 1000));
    log.warn({ stage: wait.stage, try: wait.attempt, reason: wait.reason }, 'model step will be retried');
    await setProgress(
      wait.stage,
      `The AI model is busy; retrying ${stageName(wait.stage)} in ${seconds} s, try ${wait.attempt} of ${wait.maxAttempts}.`,
      {
        type: 'retrying',
        stage: wait.stage,
        attempt: wait.attempt,
        maxAttempts: wait.maxAttempts,
        retryAt: wait.retryAt.toISOString(),
      },
    );
  };

  const onBudgetWait = async (wait: { stage: PipelineStage; until: Date }) => {
    const seconds = Math.max(1, Math.round((wait.until.getTime() - Date.now()) / 1000));
    await setProgress(
      wait.stage,
      `Waiting for the AI model's capacity, shared by all analyses; ${stageName(wait.stage)} starts in about ${seconds} s.`,
      { type: 'model-budget', stage: wait.stage, until: wait.until.toISOString() },
    );
  };

  const cut = [deps.stopNow, run.jobSignal, run.ended.signal].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  const pipeline = runPipeline({
    client: deps.model.client,
    model: deps.model.name,
    documentText: start.analysis.documentText,
    additionalContext: start.analysis.additionalContext,
    fileNames: start.analysis.fileNames,
    maxContextTokens: deps.model.maxContextTokens,
    finished: finishedSteps(start),
    retry: deps.model.stepRetry,
    onStage,
    onStepDone,
    onModelCall,
    // Synchronous and never awaited: the answer streams on at the model's pace, whatever Redis does.
    onPartial: run.partials.enabled ? run.partials.onPartial : undefined,
    onRetryWait,
    budget: deps.capacity?.budget,
    onBudgetWait,
    signal: cut.length ? AbortSignal.any(cut) : undefined,
    waitSignal: deps.stopping,
  });
  try {
    const memo = await pipeline;
    await saveUnsaved();
    return memo;
  } catch (err) {
    // A step finished just before the run stopped short is kept, as if it had been saved at once.
    await saveUnsaved().catch((saveErr: unknown) => {
      if (saveErr instanceof NoLongerRunning) throw saveErr;
      log.warn({ err: saveErr }, 'could not save the last finished step');
    });
    throw err;
  }
}

/** Success: the memo and exactly one charge in one transaction, then the terminal event. */
async function capture(run: Run, memo: Awaited<ReturnType<typeof runPipeline>>): Promise<AnalysisOutcome> {
  const { deps, analysisId, log } = run;
  // No usage here: recordModelCall has summed every request of every run as it happened.
  // The structured answers are saved in the same transaction as the memo and the charge.
  const quoted = (await getAnalysis(deps.db, analysisId))?.quotedCredits;
  const outcome = await captureAnalysis(deps.db, {
    analysisId,
    memoContent: memo.memoMarkdown,
    structured: memo.structured,
    ...(quoted !== undefined && { chargeCredits: creditsToCharge(quoted, memo) }),
  });
  const row = await publishStored(run.release, analysisId);
  if (outcome === 'captured' && row) recordCharge(deps.metrics, row);
  log.info({ outcome, model_calls: row?.modelCalls, usage: memo.usage }, 'analysis finished');
  return outcome === 'captured' ? 'completed' : 'already-terminal';
}

/** Canceled, finished or taken over meanwhile: republish what Postgres says, touch nothing else. */
async function stoppedShort(run: Run): Promise<AnalysisOutcome> {
  const stored = await publishStored(run.release, run.analysisId);
  run.log.info({ status: stored?.status }, 'analysis stopped: no longer running');
  return 'canceled';
}

/** Every way a run can stop short, in one place: hand back, wait, stop, retry, or fail for good. */
async function handleRunError(run: Run, start: RunStart, err: unknown): Promise<AnalysisOutcome> {
  const { deps, job, token, log, analysisId } = run;
  // Canceled meanwhile: the end watch or a refused partial publish saw it and cut the model call.
  // Checked first: a cancel during a graceful shutdown is a finished analysis, not one to hand back.
  if (isAbort(err) && run.ended.signal.aborted) return stoppedShort(run);
  if (err instanceof HandBack || (isAbort(err) && deps.stopping.aborted)) {
    await handBack(job, token, log);
    throw new WaitingError();
  }
  if (run.jobSignal?.aborted && !deps.stopping.aborted) {
    // BullMQ took the job away (lock lost: this process stalled and another worker may hold it
    // now). Postgres belongs to whoever runs it next; touching it here could fail a live analysis.
    log.warn({ err }, 'job lock lost; leaving the analysis to its next run');
    throw new Error(jobFailureReason(err));
  }
  if (err instanceof NoLongerRunning) return stoppedShort(run);
  if (err instanceof RetryLaterError) return parkUntil(run, start, err);

  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const failure = classifyFailure(err, lastAttempt);
  if (failure.retry) {
    log.warn({ err }, 'analysis attempt failed; will retry from the last finished step');
    const stage = asStage(await currentStage(deps.db, analysisId).catch(() => null));
    if (stage) {
      // Best effort: Postgres may be the problem. Same stage and percent, so the bar holds still.
      await run.partials
        .hold(stage, async (percent) => {
          const ok = await updateProgress(deps.db, analysisId, {
            stage,
            percent,
            message: failure.userMessage,
            attempt: start.analysis.attempts,
          });
          if (ok)
            await publishWithRetry(
              run.release,
              stageEvent(analysisId, stage, failure.userMessage, { percent }),
            );
        })
        .catch(() => undefined);
    }
    throw new Error(jobFailureReason(err));
  }
  const released = await failAnalysis(run.release, {
    analysisId,
    errorMessage: failure.userMessage,
    by: 'handler',
    attempt: start.analysis.attempts,
  });
  if (released === 'superseded') {
    log.warn({ err }, 'a newer run owns this analysis; leaving it alone');
    throw new Error(jobFailureReason(err));
  }
  log.error({ err }, 'analysis failed');
  // Unrecoverable so BullMQ does not retry a failure we have already made final.
  throw new UnrecoverableError(failure.userMessage);
}

/**
 * The provider asked for a pause longer than the step's retry budget: park the job in BullMQ's
 * delayed set until then. It holds no lock and no worker slot meanwhile, uses no attempt, and the
 * next run resumes from the last finished step.
 */
async function parkUntil(run: Run, start: RunStart, err: RetryLaterError): Promise<never> {
  const { deps, job, token, log, analysisId } = run;
  const stage =
    asStage((await currentStage(deps.db, analysisId)) ?? start.analysis.progressStage) ?? 'contract';
  const at = err.retryAt;
  const message = `The AI model asked us to wait; ${stageName(stage)} continues at ${at.toISOString().slice(11, 16)} UTC.`;
  await run.partials.hold(stage, async (percent) => {
    await updateProgress(deps.db, analysisId, { stage, percent, message, attempt: start.analysis.attempts });
    await publishWithRetry(
      run.release,
      stageEvent(analysisId, stage, message, {
        percent,
        notice: { type: 'retrying', stage, attempt: 1, maxAttempts: 1, retryAt: at.toISOString() },
      }),
    );
  });
  await job.moveToDelayed(at.getTime(), token);
  log.warn({ retry_at: at.toISOString() }, 'provider asked for a long pause; job delayed');
  throw new DelayedError();
}

async function currentStage(db: Db, analysisId: string): Promise<string | null> {
  return (await getAnalysis(db, analysisId))?.progressStage ?? null;
}

/** Puts the job back in the wait list without using an attempt, for the next worker. */
async function handBack(job: Job, token: string | undefined, log: Log) {
  try {
    await job.moveToWait(token);
    log.info({}, 'analysis handed back for another worker (shutdown)');
  } catch (err) {
    // Without the lock (already lost) the stalled check returns the job to the queue instead.
    log.warn({ err }, 'hand-back failed; the stalled check will requeue the job');
  }
}

function finishedSteps(start: RunStart): FinishedSteps {
  const out: Record<string, unknown> = {};
  for (const s of start.steps) {
    out[s.step] = {
      result: s.result,
      droppedCitations: s.droppedCitations,
      usage: { model: s.model, promptTokens: s.promptTokens, completionTokens: s.completionTokens },
    };
  }
  return out as FinishedSteps;
}

/** After preparation, the stages in the order a run works through them (steps, then the memo). */
const AFTER_PREPARATION = PIPELINE_STAGES.slice(1);

/** The stage a run with `finished` steps done works on next. */
function stageOfStep(finished: number): PipelineStage {
  return AFTER_PREPARATION[Math.min(finished, AFTER_PREPARATION.length - 1)] ?? 'contract';
}

function asStage(stage: string | null | undefined): PipelineStage | null {
  return (PIPELINE_STAGES as readonly string[]).includes(stage ?? '') ? (stage as PipelineStage) : null;
}

function recordCharge(
  metrics: RuntimeMetrics | undefined,
  row: {
    quotedCredits: number;
    model: string | null;
    promptTokens: number | null;
    completionTokens: number | null;
  },
) {
  if (!metrics) return;
  metrics.charges.inc();
  metrics.chargedCredits.inc(row.quotedCredits);
  const model = row.model ?? 'unknown';
  metrics.modelTokens.inc({ kind: 'prompt', model }, row.promptTokens ?? 0);
  metrics.modelTokens.inc({ kind: 'completion', model }, row.completionTokens ?? 0);
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'APIUserAbortError');
}
