import {
  type AnalysisStatus,
  eventFromStored,
  isTerminal,
  type ProgressEvent,
  type ProgressSnapshot,
  snapshotFromStored,
} from '@revmemo/contracts';
import {
  getAnalysisForUser,
  getProgressForUser,
  IdempotencyConflictError,
  InsufficientCreditsError,
  InvalidCursorError,
  listAnalyses,
  listSteps,
  QuoteAlreadyUsedError,
  QuoteExpiredError,
  QuoteNotFoundError,
  releaseAnalysis,
  submitAnalysis,
} from '@revmemo/db';
import { renderDraftMemo } from '@revmemo/engine';
import { coalesce, followProgress, type ProgressSink, watchProgress } from '@revmemo/queue';
import { TRPCError, tracked } from '@trpc/server';
import type { ApiDeps } from '../deps';
import { appError } from '../errors';
import { withTimeout } from '../timeout';
import { detailOf, exportOf, summaryOf } from './analysis.view';

/** The rules of submitting, reading, canceling and watching analyses; repositories hold the queries. */
export function createAnalysisService(deps: ApiDeps) {
  const { db, queue, publisher, hub, gate, log } = deps;

  async function ownedOrNotFound(userId: string, analysisId: string) {
    const row = await getAnalysisForUser(db, userId, analysisId);
    // Another user's analysis looks exactly like a missing one.
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such analysis.' });
    return row;
  }

  /** Watchers of one analysis connecting together share one read (a reconnect storm: one per analysis). */
  const progressSnapshot = coalesce(async (key: string) => {
    const [userId, analysisId] = key.split('/') as [string, string];
    const row = await getProgressForUser(db, userId, analysisId);
    return row ? withQueuePosition(snapshotFromStored(row)) : undefined;
  });

  /** What a watcher of `analysisId` reads; the snapshot read doubles as the ownership check. */
  function progressSource(userId: string, input: { analysisId: string; lastEventId?: string | null }) {
    return {
      hub,
      analysisId: input.analysisId,
      lastEventId: input.lastEventId ?? null,
      readSnapshot: async () => {
        const snapshot = await progressSnapshot(`${userId}/${input.analysisId}`);
        // Another user's analysis looks exactly like a missing one.
        if (!snapshot) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such analysis.' });
        return snapshot;
      },
    };
  }

  /** Through the per-user gate: admitted into the queue now, or waiting for one of the user's slots. */
  async function enqueue(userId: string, analysisId: string) {
    try {
      await withTimeout(gate.submit(userId, analysisId), 3_000, 'enqueue');
    } catch (err) {
      // The row is committed as `queued`; the worker's sweeper re-drives analyses with no job.
      log.error({ err, analysis_id: analysisId }, 'enqueue failed; the sweeper will retry it');
    }
  }

  /** A waiting analysis's snapshot carries where it stands (written by the worker before its event). */
  async function withQueuePosition(snapshot: ProgressSnapshot): Promise<ProgressSnapshot> {
    if (snapshot.status !== 'queued') return snapshot;
    const queue = await withTimeout(gate.position(snapshot.analysisId), 1_000, 'queue position').catch(
      () => null,
    );
    return queue ? { ...snapshot, queue } : snapshot;
  }

  return {
    async submit(userId: string, input: { quoteId: string; idempotencyKey: string }) {
      let result: Awaited<ReturnType<typeof submitAnalysis>>;
      try {
        result = await submitAnalysis(db, {
          userId,
          quoteId: input.quoteId,
          idempotencyKey: input.idempotencyKey,
        });
      } catch (err) {
        throw toSubmitError(err);
      }
      const { analysis, created } = result;
      // A repeat of a still-queued submit goes through the gate again: a no-op for an analysis it holds.
      if (created || analysis.status === 'queued') await enqueue(userId, analysis.analysisId);
      return {
        analysisId: analysis.analysisId,
        memoUuid: analysis.memoUuid,
        status: analysis.status,
        created,
      };
    },

    async get(userId: string, analysisId: string) {
      return detailOf(await ownedOrNotFound(userId, analysisId));
    },

    /** The structured answers behind a completed memo, for the JSON download (docs/memo.md). */
    async export(userId: string, analysisId: string) {
      return exportOf(await ownedOrNotFound(userId, analysisId));
    },

    /**
     * The memo so far while the analysis runs: the finished steps' sections from their checkpoints
     * (docs/memo.md, "Draft while running"). Null once it has ended (the memo, or nothing, is
     * final) and before step 1 has finished.
     */
    async draft(userId: string, analysisId: string) {
      const row = await ownedOrNotFound(userId, analysisId);
      if (isTerminal(row.status as AnalysisStatus)) return null;
      const steps = await listSteps(db, analysisId);
      if (steps.length === 0) return null;
      return renderDraftMemo({
        steps,
        documentText: row.documentText,
        fileNames: row.fileNames,
        additionalContext: row.additionalContext,
      });
    },

    async list(userId: string, input: { limit: number; cursor?: string | null }) {
      const page = await listAnalyses(db, userId, { limit: input.limit, cursor: input.cursor ?? null }).catch(
        badCursor,
      );
      return { items: page.items.map(summaryOf), nextCursor: page.nextCursor };
    },

    /**
     * Queued or running: released at once. The `canceled` event sets the analysis's ended marker,
     * which a running worker checks every second: it then cuts its model request.
     */
    async cancel(userId: string, analysisId: string) {
      await ownedOrNotFound(userId, analysisId);
      const outcome = await releaseAnalysis(db, {
        analysisId,
        status: 'canceled',
        errorMessage: 'Canceled by the user.',
      });
      const after = await ownedOrNotFound(userId, analysisId);
      if (outcome !== 'released') {
        throw appError('CONFLICT', `The analysis has already ${after.status}.`, {
          code: 'ANALYSIS_FINISHED',
          status: after.status,
        });
      }
      // An active job is locked (removal fails): its worker stops itself and frees the slot then.
      const removed = await withTimeout(queue.remove(analysisId), 3_000, 'job removal').then(
        () => true,
        () => false,
      );
      // Out of its user's waiting list, or its slot freed for the user's next analysis.
      if (removed)
        await withTimeout(gate.finish(analysisId), 3_000, 'gate').catch((err: unknown) =>
          log.warn({ err, analysis_id: analysisId }, 'per-user slot not freed; the sweeper will'),
        );
      // The cancel is committed; a follower that misses this event reads the final state from Postgres.
      await withTimeout(publisher.publish(eventFromStored(after)), 3_000, 'publish').catch((err: unknown) =>
        log.warn({ err, analysis_id: analysisId }, 'cancel event not published'),
      );
      return summaryOf(after);
    },

    /** Snapshot first, then live events, each tracked() with its Redis stream id; ends after the terminal event. */
    async *progress(
      userId: string,
      input: { analysisId: string; lastEventId?: string | null },
      signal?: AbortSignal,
    ) {
      // The snapshot read is the ownership check; it happens before anything is yielded.
      const stream = followProgress({ ...progressSource(userId, input), signal });
      for await (const { id, event } of stream) {
        deps.metrics?.progressDelivered();
        yield tracked(id, event satisfies ProgressEvent);
      }
    },

    /** The same stream pushed to `sink` (the SSE route, progress-sse.ts); returns stop. */
    watch(userId: string, input: { analysisId: string; lastEventId?: string | null }, sink: ProgressSink) {
      return watchProgress(progressSource(userId, input), sink);
    },
  };
}

/** A cursor the client made up (or mangled) is its mistake, not ours. */
export function badCursor(err: unknown): never {
  if (err instanceof InvalidCursorError)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid cursor.' });
  throw err;
}

function toSubmitError(err: unknown): unknown {
  if (err instanceof InsufficientCreditsError) {
    return appError(
      'PAYMENT_REQUIRED',
      `Not enough credits: this analysis costs ${err.required}, you have ${err.available} available (${err.shortfall} short).`,
      {
        code: 'INSUFFICIENT_CREDITS',
        required: err.required,
        available: err.available,
        shortfall: err.shortfall,
      },
    );
  }
  if (err instanceof QuoteNotFoundError)
    return appError('NOT_FOUND', 'No such quote.', { code: 'QUOTE_NOT_FOUND' });
  if (err instanceof QuoteExpiredError) {
    return appError('BAD_REQUEST', 'The quote has expired; upload the document again for a new quote.', {
      code: 'QUOTE_EXPIRED',
    });
  }
  if (err instanceof QuoteAlreadyUsedError) {
    return appError('CONFLICT', 'This quote was already used for another analysis.', {
      code: 'QUOTE_ALREADY_USED',
    });
  }
  if (err instanceof IdempotencyConflictError) {
    return appError('CONFLICT', 'This idempotency key was already used with a different quote.', {
      code: 'IDEMPOTENCY_CONFLICT',
    });
  }
  return err;
}
