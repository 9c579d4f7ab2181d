import { compareStreamIds, eventsStreamKey, followProgress } from '@revmemo/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consume,
  FakeAnalysis,
  type ServerProcess,
  sleep,
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
const strictlyIncreasing = (list: string[]) =>
  list.every((id, i) => i === 0 || compareStreamIds(list[i - 1] as string, id) < 0);

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
    const producing = (async () => {
      for (let i = 1; i <= 12; i++) {
        await a.step(i);
        await sleep(15);
      }
      await a.finish('completed');
    })();

    // Client on server A sees the snapshot and three live events, then its connection drops.
    const onA = await take(
      followProgress({ hub: serverA.hub, analysisId: a.analysisId, readSnapshot: a.readSnapshot }),
      4,
    );
    expect(onA[0]?.event.kind).toBe('snapshot');
    await sleep(60); // the worker keeps publishing while the browser is away
    const lastSeen = onA[onA.length - 1]?.id as string;
    const onB = await take(
      followProgress({
        hub: serverB.hub,
        analysisId: a.analysisId,
        lastEventId: lastSeen,
        readSnapshot: a.readSnapshot,
      }),
    );
    await producing;

    const seen = [...onA, ...onB];
    expect(strictlyIncreasing(ids(seen))).toBe(true);
    expect(onB.every((e) => e.event.kind !== 'snapshot')).toBe(true);
    // Every event published after the snapshot point arrives exactly once, in order.
    const snapshotId = onA[0]?.id as string;
    const expected = a.published.filter((p) => compareStreamIds(p.id, snapshotId) > 0);
    expect(ids(seen.slice(1))).toEqual(ids(expected));
    expect(seen.at(-1)?.event.kind).toBe('completed');
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
    // No stream entry exists for the database-only terminal state: it reuses the newest id.
    expect(compareStreamIds(got[1]?.id as string, got[0]?.id as string)).toBeGreaterThanOrEqual(0);
  });

  it('falls back to a fresh snapshot when the resume point was trimmed from the stream', async () => {
    const a = new FakeAnalysis(worker.publisher);
    const oldId = await a.step(0);
    await a.step(1);
    await a.step(2);
    await serverA.connection.xtrim(eventsStreamKey(prefix), 'MAXLEN', 1);
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
    while (reading.items.length < 2) await sleep(5);
    controller.abort();
    const got = await reading.done;
    expect(got.map((g) => g.event.kind)).toEqual(['snapshot', 'progress']);
    expect(serverA.hub.subscriberCount()).toBe(before);
  });
});
