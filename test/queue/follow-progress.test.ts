import { PIPELINE_STAGES, stageInfo } from '@revmemo/contracts';
import { analysisStreamKey, compareStreamIds, eventsStreamKey, followProgress } from '@revmemo/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNeverBack, expectResumedAfter } from '../support/progress';
import { waitUntil } from '../support/wait';
import {
  consume,
  FakeAnalysis,
  type ServerProcess,
  startPublisher,
  startServerProcess,
  take,
  uniquePrefix,
} from './progress-fixture';

const prefix = uniquePrefix('follow');
let serverA: ServerProcess;
let serverB: ServerProcess;
let worker: ReturnType<typeof startPublisher>;

beforeAll(async () => {
  serverA = await startServerProcess(prefix);
  serverB = await startServerProcess(prefix);
  worker = startPublisher(prefix);
});

afterAll(async () => {
  await serverA.close();
  await serverB.close();
  await worker.close();
});

const ids = (items: { id: string }[]) => items.map((i) => i.id);

describe('followProgress', () => {
  it('starts with a snapshot of the current state at the stream tip', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    const tipAfterTwo = await a.step(1);
    const [first] = await take(
      followProgress({ hub: serverA.hub, analysisId: a.analysisId, readSnapshot: a.readSnapshot }),
      1,
    );
    expect(first?.event.kind).toBe('snapshot');
    expect(first?.event.stage).toBe('contract');
    // The snapshot's id is the stream tip, so a resume from it skips exactly what the snapshot covers.
    expect(compareStreamIds(first?.id ?? '0', tipAfterTwo)).toBeGreaterThanOrEqual(0);
  });

  it('resumes on another server process after a disconnect: nothing missed, nothing repeated', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    // Client on server A sees the snapshot and two live events, then its connection drops.
    const disconnect = new AbortController();
    const onA = consume(
      followProgress({
        hub: serverA.hub,
        analysisId: a.analysisId,
        readSnapshot: a.readSnapshot,
        signal: disconnect.signal,
      }),
    );
    await onA.started;
    for (let i = 1; i <= 2; i++) await a.step(i);
    await waitUntil(() => onA.items.length === 3, 'client A to receive the snapshot and two live events');
    disconnect.abort();
    const seenOnA = await onA.done;
    expect(seenOnA[0]?.event.kind).toBe('snapshot');
    // The worker keeps publishing while the client is away.
    for (let i = 3; i <= 4; i++) await a.step(i);
    const lastSeen = seenOnA.at(-1)?.id as string;
    const onB = consume(
      followProgress({
        hub: serverB.hub,
        analysisId: a.analysisId,
        lastEventId: lastSeen,
        readSnapshot: a.readSnapshot,
      }),
    );
    await onB.started;
    for (let i = 5; i < PIPELINE_STAGES.length; i++) await a.step(i);
    await a.finish('completed');
    const seenOnB = await onB.done;

    expectResumedAfter(seenOnA, seenOnB);
    expect(seenOnB.every((e) => e.event.kind !== 'snapshot')).toBe(true);
    // Every event published after the snapshot point arrives exactly once, in order.
    const snapshotId = seenOnA[0]?.id as string;
    const expected = a.published.filter((p) => compareStreamIds(p.id, snapshotId) > 0);
    expect(ids([...seenOnA, ...seenOnB].slice(1))).toEqual(ids(expected));
    expect(seenOnB.at(-1)?.event.kind).toBe('completed');
  });

  it('skips live events older than the fresh snapshot it just sent (the reconnect floor)', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    let staleId = '';
    // The race the floor exists for: after the stream tip was read, an event for an earlier stage is
    // published, and the state read next is already further on (the worker wrote it, its publish is
    // still to come; or a re-run job starts over).
    const readSnapshot = async () => {
      staleId = await a.step(1); // contract
      return { ...(await a.readSnapshot()), stage: 'price' as const, percent: stageInfo('price').percent };
    };
    const reading = consume(followProgress({ hub: serverA.hub, analysisId: a.analysisId, readSnapshot }));
    await reading.started;
    const liveId = await a.step(4);
    await a.finish('completed');
    const got = await reading.done;
    // The stale event is newer than the snapshot's id, so only the floor keeps it out.
    expect(compareStreamIds(staleId, got[0]?.id as string)).toBeGreaterThan(0);
    expect(got.map((g) => [g.event.kind, g.event.stage])).toEqual([
      ['snapshot', 'price'],
      ['progress', PIPELINE_STAGES[4]],
      ['completed', 'done'],
    ]);
    expect(ids(got)).not.toContain(staleId);
    expect(got[1]?.id).toBe(liveId);
    expectNeverBack(got);
  });

  it('ends the stream after the terminal event', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    const reading = consume(
      followProgress({ hub: serverA.hub, analysisId: a.analysisId, readSnapshot: a.readSnapshot }),
    );
    await reading.started;
    await a.step(1);
    await a.finish('failed');
    await a.step(2); // a stray event after the end must never be delivered
    const got = await reading.done;
    expect(got.map((g) => g.event.kind)).toEqual(['snapshot', 'progress', 'failed']);
  });

  it('sends a terminal snapshot and ends when the analysis already finished', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    await a.finish('completed');
    const got = await take(
      followProgress({ hub: serverB.hub, analysisId: a.analysisId, readSnapshot: a.readSnapshot }),
    );
    expect(got).toHaveLength(1);
    expect(got[0]?.event).toMatchObject({ kind: 'completed', status: 'completed', percent: 100 });
  });

  it('ends with the terminal state from the database when the terminal event was never published', async () => {
    const a = new FakeAnalysis(worker.publisher);
    const seenId = await a.step(0);
    await a.step(1);
    await a.finish('canceled', { publish: false });
    const got = await take(
      followProgress({
        hub: serverA.hub,
        analysisId: a.analysisId,
        lastEventId: seenId,
        readSnapshot: a.readSnapshot,
      }),
    );
    expect(got.map((g) => g.event.kind)).toEqual(['progress', 'canceled']);
    // No stream entry exists for the database-only terminal state, yet its id still comes after the
    // last one sent: a client checking that ids only increase must not see it repeat one.
    expectNeverBack(got);
  });

  it('ends after the backfill with a fresh id when the analysis committed its end while the watcher started', async () => {
    const a = new FakeAnalysis(worker.publisher);
    const seenId = await a.step(0);
    // Between the watcher's tip read and its backfill read, the worker publishes one more stage and
    // commits the end; its terminal event is not published yet (the deploy-storm race).
    const readSnapshot = async () => {
      await a.step(1);
      await a.finish('completed', { publish: false });
      return a.readSnapshot();
    };
    const got = await take(
      followProgress({ hub: serverA.hub, analysisId: a.analysisId, lastEventId: seenId, readSnapshot }),
    );
    expect(got.map((g) => g.event.kind)).toEqual(['progress', 'completed']);
    expectNeverBack(got);
  });

  it("resumes from the analysis's own stream when the shared one was trimmed past the resume point", async () => {
    const a = new FakeAnalysis(worker.publisher);
    const oldId = await a.step(0);
    await a.step(1);
    await a.step(2);
    // Other analyses' partial events trim the shared stream long before this analysis's own.
    await serverA.connection.xtrim(eventsStreamKey(prefix), 'MAXLEN', 1);
    const got = await take(
      followProgress({
        hub: serverB.hub,
        analysisId: a.analysisId,
        lastEventId: oldId,
        readSnapshot: a.readSnapshot,
      }),
      2,
    );
    expect(got.map((g) => [g.event.kind, g.event.stage])).toEqual([
      ['progress', 'contract'],
      ['progress', 'obligations'],
    ]);
  });

  it("falls back to a fresh snapshot when the resume point was trimmed from the analysis's own stream", async () => {
    const a = new FakeAnalysis(worker.publisher);
    const oldId = await a.step(0);
    await a.step(1);
    await a.step(2);
    await serverA.connection.xtrim(analysisStreamKey(prefix, a.analysisId), 'MAXLEN', 1);
    const got = await take(
      followProgress({
        hub: serverB.hub,
        analysisId: a.analysisId,
        lastEventId: oldId,
        readSnapshot: a.readSnapshot,
      }),
      1,
    );
    expect(got[0]?.event).toMatchObject({ kind: 'snapshot', stage: 'obligations' });
  });

  it('treats an unknown or malformed lastEventId as trimmed', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(3);
    for (const lastEventId of ['not-an-id', '99999999999999-0']) {
      const got = await take(
        followProgress({
          hub: serverA.hub,
          analysisId: a.analysisId,
          lastEventId,
          readSnapshot: a.readSnapshot,
        }),
        1,
      );
      expect(got[0]?.event).toMatchObject({ kind: 'snapshot', stage: 'price' });
    }
  });

  it('detects trimming done by the publisher itself (MAXLEN ~)', async () => {
    const small = startPublisher(prefix, 20);
    try {
      const a = new FakeAnalysis(small.publisher);
      const first = await a.step(0);
      for (let i = 1; i < 400; i++) await a.step(i);
      const { trimmed } = await serverA.hub.backfill(a.analysisId, first);
      expect(trimmed).toBe(true);
      const recent = a.published.at(-2)?.id as string;
      const tail = await serverA.hub.backfill(a.analysisId, recent);
      expect(tail).toMatchObject({ trimmed: false });
      expect(ids(tail.events)).toEqual([a.published.at(-1)?.id]);
    } finally {
      await small.close();
    }
  });

  it('stops and unsubscribes when the signal aborts', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    const controller = new AbortController();
    const before = serverA.hub.subscriberCount();
    const reading = consume(
      followProgress({
        hub: serverA.hub,
        analysisId: a.analysisId,
        readSnapshot: a.readSnapshot,
        signal: controller.signal,
      }),
    );
    await reading.started;
    expect(serverA.hub.subscriberCount()).toBe(before + 1);
    await a.step(1);
    await waitUntil(() => reading.items.length === 2, 'the live event after the snapshot');
    controller.abort();
    const got = await reading.done;
    expect(got.map((g) => g.event.kind)).toEqual(['snapshot', 'progress']);
    expect(serverA.hub.subscriberCount()).toBe(before);
  });
});
