import { randomUUID } from 'node:crypto';
import { type Db, listQueuedOlderThan, listRunning, listStatuses } from '@revmemo/db';
import {
  type AnalysisQueue,
  type FairGate,
  isLiveJobState,
  type ProgressPublisher,
  type RetryOptions,
  requeueAnalysis,
} from '@revmemo/queue';
import type { Redis } from 'ioredis';
import type { Log } from './log';
import type { RuntimeMetrics } from './metrics';
import { failAnalysis } from './release';

export interface SweeperDeps {
  db: Db;
  queue: AnalysisQueue;
  publisher: ProgressPublisher;
  /** Commands only (SET NX PX): the sweep lock. */
  redis: Redis;
  prefix: string;
  intervalMs: number;
  retry: RetryOptions;
  log: Log;
  /** A queued analysis younger than this may still be between its commit and its enqueue. */
  queuedGraceMs?: number;
  metrics?: RuntimeMetrics;
  /** The per-user gate (docs/capacity.md): lost analyses re-enter through it, leaked slots are freed. */
  gate?: FairGate;
}

export interface SweepResult {
  skipped: boolean;
  requeued: string[];
  released: string[];
  /** Per-user slots freed because their analysis had ended without saying so. */
  freed: string[];
}

// Deletes the lock only if it is still ours: a slow sweep must not release the next holder's lock.
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Repairs what crashes leave behind: an analysis committed as `queued` whose enqueue never happened,
 * and a `running` analysis whose job is gone. Every worker runs one; a Redis lock lets one sweep at a time.
 */
export function createSweeper(deps: SweeperDeps) {
  const lockKey = `${deps.prefix}:analysis:sweeper-lock`;
  const grace = deps.queuedGraceMs ?? 30_000;

  async function sweepOnce(): Promise<SweepResult> {
    const token = randomUUID();
    const locked = await deps.redis.set(lockKey, token, 'PX', Math.max(deps.intervalMs, 5_000), 'NX');
    if (locked !== 'OK') return { skipped: true, requeued: [], released: [], freed: [] };
    const result: SweepResult = { skipped: false, requeued: [], released: [], freed: [] };
    try {
      if (deps.gate) await reconcileGate(deps.gate, result);
      for (const a of await listQueuedOlderThan(deps.db, new Date(Date.now() - grace))) {
        if (await requeue(a, false)) result.requeued.push(a.analysisId);
      }
      for (const a of await listRunning(deps.db)) {
        const state = await deps.queue.getJobState(a.analysisId);
        if (isLiveJobState(state)) continue;
        if (state === 'failed') {
          // BullMQ gave up on it but the failure handler never ran (the worker died in between).
          if (await release(a.analysisId)) result.released.push(a.analysisId);
        } else if (await requeue(a, true)) {
          result.requeued.push(a.analysisId);
        }
      }
    } finally {
      await deps.redis.eval(RELEASE_LOCK, 1, lockKey, token);
    }
    for (const id of result.requeued)
      deps.log.warn({ analysis_id: id, job_id: id }, 'sweeper re-enqueued an analysis');
    for (const id of result.freed)
      deps.log.warn({ analysis_id: id }, 'sweeper freed the per-user slot of an analysis that had ended');
    return result;
  }

  /**
   * An analysis Postgres expects work for, with no live job. Through the gate: one it holds as
   * waiting is simply waiting its turn; one it admitted lost its job and gets it back; one it does
   * not know (the submit's gate call was lost) joins its user's list, at the front if it had run.
   */
  async function requeue(a: { analysisId: string; userId: string }, hadRun: boolean): Promise<boolean> {
    const gate = deps.gate;
    if (!gate) return requeueAnalysis(deps.queue, a.analysisId, deps.retry);
    if (isLiveJobState(await deps.queue.getJobState(a.analysisId))) return false;
    const held = await gate.lookup(a.analysisId);
    if (held?.state === 'waiting') return false;
    if (held?.state === 'admitted') return requeueAnalysis(deps.queue, a.analysisId, deps.retry);
    return (await gate.submit(a.userId, a.analysisId, { front: hadRun })) === 'admitted';
  }

  /** Frees slots whose analysis ended without `finish`, drops ended ones from the waiting lists. */
  async function reconcileGate(gate: FairGate, result: SweepResult) {
    for (const user of await gate.users()) {
      const ids = [...user.admitted, ...user.waiting];
      const status = new Map((await listStatuses(deps.db, ids)).map((r) => [r.analysisId, r.status]));
      for (const id of ids) {
        const admitted = user.admitted.includes(id);
        if (admitted && isLiveJobState(await deps.queue.getJobState(id))) continue;
        const now = status.get(id);
        if (now === 'queued' || now === 'running') {
          // Admitted but its enqueue was lost (the process died in between): give it its job.
          if (admitted && (await requeueAnalysis(deps.queue, id, deps.retry))) result.requeued.push(id);
          continue;
        }
        await gate.finish(id);
        result.freed.push(id);
      }
    }
    await gate.admitAll();
  }

  async function release(analysisId: string): Promise<boolean> {
    const outcome = await failAnalysis(deps, {
      analysisId,
      errorMessage: 'The analysis could not be completed. Nothing was charged.',
      by: 'sweeper',
    });
    if (outcome !== 'released') return false;
    deps.log.warn(
      { analysis_id: analysisId, job_id: analysisId },
      'sweeper released an analysis whose job BullMQ had failed',
    );
    return true;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    sweepOnce,
    start() {
      timer = setInterval(() => {
        running = sweepOnce().catch((err: unknown) => deps.log.error({ err }, 'sweep failed'));
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
