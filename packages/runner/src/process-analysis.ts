import {
  AnalysisJobDataSchema,
  eventFromStored,
  isTerminal,
  type PipelineStage,
  stageInfo,
} from '@revmemo/contracts';
import {
  captureAnalysis,
  type Db,
  getAnalysis,
  type ModelUsage,
  markRunning,
  releaseAnalysis,
  updateProgress,
} from '@revmemo/db';
import { type PipelineInput, runPipeline } from '@revmemo/engine';
import {
  type AnalysisProcessor,
  type Job,
  type ProgressPublisher,
  UnrecoverableError,
  WaitingError,
} from '@revmemo/queue';
import { classifyFailure } from './failures';
import { type Log, withFields } from './log';
import type { RuntimeMetrics } from './metrics';
import { stageEvent } from './progress';

export interface AnalysisHandlerDeps {
  db: Db;
  publisher: ProgressPublisher;
  model: { client: PipelineInput['client']; name: string; maxContextTokens: number };
  log: Log;
  /** Aborted when the process is asked to stop: a running job hands itself back at the next stage. */
  stopping: AbortSignal;
  /** Aborted when the shutdown grace period is over: in-flight model calls are cut as well. */
  stopNow?: AbortSignal;
  /** Absent in tests that do not look at metrics. */
  metrics?: RuntimeMetrics;
}

/** Thrown from onStage to leave the pipeline at a stage boundary. */
class HandBack extends Error {
  override readonly name = 'HandBack';
}
class NoLongerRunning extends Error {
  override readonly name = 'NoLongerRunning';
}

export type AnalysisOutcome = 'completed' | 'already-terminal' | 'canceled' | 'missing';

/**
 * The analysis job. Postgres is the source of truth and is written before every publish, so a
 * follower's snapshot never runs behind the events. Re-running a job is always safe: a terminal
 * analysis is a no-op, and capture charges at most once.
 */
export function createAnalysisProcessor(deps: AnalysisHandlerDeps): AnalysisProcessor {
  const handle = createJobHandler(deps);
  const duration = deps.metrics?.jobDuration;
  if (!duration) return handle;
  return async (job, token, signal) => {
    const end = duration.startTimer();
    try {
      const outcome = await handle(job, token, signal);
      end({ outcome: String(outcome) });
      return outcome;
    } catch (err) {
      end({
        outcome:
          err instanceof WaitingError
            ? 'handed-back'
            : err instanceof UnrecoverableError
              ? 'failed'
              : 'retry',
      });
      throw err;
    }
  };
}

function createJobHandler(deps: AnalysisHandlerDeps): AnalysisProcessor {
  const { db } = deps;

  const publish = async (log: Log, event: Parameters<ProgressPublisher['publish']>[0], tries = 1) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.publisher.publish(event);
      } catch (err) {
        // The state is already in Postgres; a lost event only delays followers until their next snapshot.
        if (attempt >= tries) {
          log.warn({ err, kind: event.kind }, 'progress publish failed');
          return undefined;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };

  /** Republishes what Postgres says about a finished analysis (its terminal event may have been lost). */
  const publishStored = async (log: Log, analysisId: string) => {
    const row = await getAnalysis(db, analysisId);
    if (row) await publish(log, eventFromStored(row), 3);
    return row;
  };

  return async (job, token, jobSignal) => {
    const parsed = AnalysisJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${parsed.error.message}`);
    const { analysisId } = parsed.data;
    const log = withFields(deps.log, {
      analysis_id: analysisId,
      job_id: job.id,
      attempt: job.attemptsMade + 1,
    });

    const row = await getAnalysis(db, analysisId);
    if (!row) {
      log.warn({}, 'analysis not found; nothing to do');
      return 'missing' satisfies AnalysisOutcome;
    }
    if (isTerminal(row.status)) {
      await publish(log, eventFromStored(row), 3);
      return 'already-terminal' satisfies AnalysisOutcome;
    }
    const running = await markRunning(db, analysisId);
    if (!running) {
      await publishStored(log, analysisId);
      return 'already-terminal' satisfies AnalysisOutcome;
    }
    log.info({}, 'analysis started');

    let stage: PipelineStage = 'preparation';
    const onStage = async (next: PipelineStage, message: string) => {
      // Stage boundaries are the safe points: nothing is half-done, so stopping here loses one stage at most.
      if (deps.stopping.aborted) throw new HandBack('worker shutting down');
      stage = next;
      if (
        !(await updateProgress(db, analysisId, {
          stage: next,
          percent: stageInfo(next).percent,
          message,
          attempt: running.attempts,
        }))
      ) {
        throw new NoLongerRunning('analysis is no longer running'); // canceled, finished, or taken over by a newer run
      }
      await publish(log, stageEvent(analysisId, next, message));
    };
    const noteRetry = async (at: PipelineStage, message: string) => {
      if (
        await updateProgress(db, analysisId, {
          stage: at,
          percent: stageInfo(at).percent,
          message,
          attempt: running.attempts,
        })
      ) {
        await publish(log, stageEvent(analysisId, at, message));
      }
    };
    const signals = [deps.stopNow, jobSignal].filter((s): s is AbortSignal => s !== undefined);

    try {
      const result = await runPipeline({
        client: deps.model.client,
        model: deps.model.name,
        documentText: running.documentText,
        additionalContext: running.additionalContext,
        fileNames: running.fileNames,
        maxContextTokens: deps.model.maxContextTokens,
        onStage,
        signal: signals.length ? AbortSignal.any(signals) : undefined,
      });
      const outcome = await captureAnalysis(db, {
        analysisId,
        memoContent: result.memoMarkdown,
        usage: result.usage,
      });
      if (outcome === 'captured') recordCharge(deps.metrics, running.quotedCredits, result.usage);
      await publishStored(log, analysisId);
      log.info({ outcome, usage: result.usage }, 'analysis finished');
      return (outcome === 'captured' ? 'completed' : 'already-terminal') satisfies AnalysisOutcome;
    } catch (err) {
      if (err instanceof HandBack || (isAbort(err) && deps.stopping.aborted)) {
        await handBack(job, token, log);
        throw new WaitingError();
      }
      if (jobSignal?.aborted && !deps.stopping.aborted) {
        // BullMQ took the job away (lock lost: this process stalled and another worker may hold it
        // now). Postgres belongs to whoever runs it next; touching it here could fail a live analysis.
        log.warn({ err }, 'job lock lost; leaving the analysis to its next run');
        throw err;
      }
      if (err instanceof NoLongerRunning) {
        const stored = await publishStored(log, analysisId);
        log.info({ status: stored?.status }, 'analysis stopped: no longer running');
        return 'canceled' satisfies AnalysisOutcome;
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const failure = classifyFailure(err, lastAttempt);
      if (failure.retry) {
        log.warn({ err }, 'analysis attempt failed; will retry');
        await noteRetry(stage, failure.userMessage).catch(() => undefined); // best effort: Postgres may be the problem
        throw err;
      }
      const released = await releaseAnalysis(db, {
        analysisId,
        status: 'failed',
        errorMessage: failure.userMessage,
        attempt: running.attempts,
      });
      if (released === 'superseded') {
        log.warn({ err }, 'a newer run owns this analysis; leaving it alone');
        throw err;
      }
      if (released === 'released') deps.metrics?.releases.inc({ by: 'handler' });
      await publishStored(log, analysisId);
      log.error({ err }, 'analysis failed');
      // Unrecoverable so BullMQ does not retry a failure we have already made final.
      throw new UnrecoverableError(failure.userMessage);
    }
  };
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

function recordCharge(metrics: RuntimeMetrics | undefined, credits: number, usage: ModelUsage) {
  if (!metrics) return;
  metrics.charges.inc();
  metrics.chargedCredits.inc(credits);
  metrics.modelTokens.inc({ kind: 'prompt', model: usage.model }, usage.promptTokens);
  metrics.modelTokens.inc({ kind: 'completion', model: usage.model }, usage.completionTokens);
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'APIUserAbortError');
}
