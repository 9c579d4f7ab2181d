import { type ProgressEvent, snapshotFromStored, stageIndex } from '@revmemo/contracts';
import { getAnalysis } from '@revmemo/db';
import { type FollowedEvent, followProgress } from '@revmemo/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chargesFor, holdOf } from '../support/ledger';
import { eventsOf, startHub } from './fixture';
import { workerStack } from './worker-stack';

/**
 * Workers on preemptible machines (docs/durable-steps.md): a worker death costs at most the step in
 * flight, poison is judged by progress, and no watcher ever sees the bar step back.
 */
let stack: Awaited<ReturnType<typeof workerStack>>;

beforeAll(async () => {
  // A shorter lock: a killed worker's job is picked up again after about 3 s instead of 5.
  stack = await workerStack('deaths', { POISON_STALLS: '3', WORKER_LOCK_DURATION_MS: '3000' });
});
afterEach(() => stack.cleanup());
afterAll(() => stack.close());

const submit = () => stack.submit();

/** SIGKILLs the worker once the analysis stands at `stage` in run `attempt`, mid-request. */
async function killAt(analysisId: string, stage: string, attempt: number) {
  const w = await stack.worker();
  await stack.waitFor(analysisId, (r) => r.progressStage === stage && r.attempts === attempt, 60_000);
  await stack.requestInFlight();
  w.kill('SIGKILL');
  await w.exited;
}

const below = (e: Pick<ProgressEvent, 'stage' | 'percent'>, f: Pick<ProgressEvent, 'stage' | 'percent'>) =>
  stageIndex(e.stage) < stageIndex(f.stage) ||
  (stageIndex(e.stage) === stageIndex(f.stage) && e.percent < f.percent);

/** Every pair of consecutive non-terminal events where the bar would step back. */
function regressions(events: Pick<ProgressEvent, 'stage' | 'percent' | 'kind'>[]) {
  const out: string[] = [];
  for (let i = 1; i < events.length; i++) {
    const [prev, next] = [events[i - 1], events[i]];
    if (prev && next && next.kind !== 'failed' && next.kind !== 'canceled' && below(next, prev))
      out.push(`${prev.stage} ${prev.percent}% -> ${next.stage} ${next.percent}%`);
  }
  return out;
}

describe('worker deaths', () => {
  it('completes an analysis whose worker is SIGKILLed three times while each run finishes one more step', async () => {
    await stack.sim.setLatency(1200);
    const a = await submit();
    await killAt(a.analysisId, 'obligations', 1);
    await killAt(a.analysisId, 'price', 2);
    await killAt(a.analysisId, 'allocation', 3);
    await stack.sim.setLatency(0);
    await stack.worker();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'completed', 60_000);
    expect(row.attempts).toBe(4);
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(1);
    // Each death cost only the step in flight: 5 steps answered + 3 cut requests.
    const requests = await stack.sim.requests();
    expect(requests.filter((r) => r.outcome === 'ok')).toHaveLength(5);
    expect(requests.filter((r) => r.outcome === 'client-closed')).toHaveLength(3);
  }, 180_000);

  it('declares a contract that kills the worker three times at the same step poison: released and explained', async () => {
    await stack.sim.setLatency(2500);
    const a = await submit();
    await killAt(a.analysisId, 'price', 1);
    await killAt(a.analysisId, 'price', 2);
    await killAt(a.analysisId, 'price', 3);
    await stack.worker();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'failed', 60_000);
    expect(row.errorMessage).toMatch(/stopped the analysis worker 3 times at step 3.*Nothing was charged/);
    expect(row.finalChargedCredits).toBe(0);
    expect(await holdOf(stack.db, a.memoUuid)).toMatchObject({ status: 'released' });
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(0);
    // The fourth run never called the model: 2 steps answered, 3 cut tries of step 3.
    const requests = await stack.sim.requests();
    expect(requests.filter((r) => r.outcome === 'ok')).toHaveLength(2);
    expect(requests.filter((r) => r.outcome === 'client-closed')).toHaveLength(3);
  }, 180_000);

  it('a watcher connected across a re-run never receives a lower stage or percent, and sees the resume', async () => {
    const hub = startHub(stack.redis, stack.env.QUEUE_PREFIX as string);
    try {
      await stack.sim.setLatency(1200);
      const a = await submit();
      const received: FollowedEvent[] = [];
      const watching = (async () => {
        for await (const item of followProgress({
          hub,
          analysisId: a.analysisId,
          readSnapshot: async () => {
            const row = await getAnalysis(stack.db, a.analysisId);
            if (!row) throw new Error('analysis vanished');
            return snapshotFromStored(row);
          },
        }))
          received.push(item);
      })();
      await killAt(a.analysisId, 'price', 1);
      await stack.sim.setLatency(0);
      await stack.worker();
      await stack.waitFor(a.analysisId, (r) => r.status === 'completed', 60_000);
      await watching; // the stream ends on the terminal event

      const events = received.map((r) => r.event);
      expect(regressions(events)).toEqual([]);
      expect(events.at(-1)?.kind).toBe('completed');
      const resumed = events.find((e) => e.notice?.type === 'resumed');
      expect(resumed?.notice).toEqual({ type: 'resumed', stage: 'price' });
      expect(resumed?.message).toMatch(/A worker stopped; resuming at step 3/);
      // Not only filtered on the way out: the worker published no step back at all.
      expect(regressions(await eventsOf(hub, a.analysisId))).toEqual([]);
    } finally {
      await hub.close();
    }
  }, 120_000);
});
