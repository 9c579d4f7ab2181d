import { compareStreamIds, followProgress } from '@revmemo/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNeverBack, expectResumedAfter } from '../support/progress';
import {
  consume,
  FakeAnalysis,
  type ServerProcess,
  startPublisher,
  startServerProcess,
  take,
  uniquePrefix,
} from './progress-fixture';

// Progress within a step (docs/progress-transport.md, "Progress within a step"): a watcher that
// catches up gets the latest partial state, not every partial; stage and terminal events always.

const prefix = uniquePrefix('partials');
let server: ServerProcess;
let worker: ReturnType<typeof startPublisher>;

beforeAll(async () => {
  server = await startServerProcess(prefix);
  worker = startPublisher(prefix);
});

afterAll(async () => {
  await server.close();
  await worker.close();
});

const kinds = (items: { event: { kind: string; stage: string; percent: number } }[]) =>
  items.map((i) => `${i.event.kind}/${i.event.stage}/${i.event.percent}`);

/** contract (10), five partials in it, obligations (25), three partials in it. */
async function stepsWithPartials(a: FakeAnalysis) {
  const firstStage = await a.step(1); // contract
  const early: string[] = [];
  for (let i = 1; i <= 5; i++) early.push(await a.partial(10 + 2 * i, `finding ${i}`));
  const secondStage = await a.step(2); // obligations
  const late: string[] = [];
  for (let i = 1; i <= 3; i++) late.push(await a.partial(25 + 3 * i, `obligations ${i}`));
  return { firstStage, early, secondStage, late };
}

describe('a resume with partial events in the backfill', () => {
  it('gets the next stage event and only the last partial after it: partials followed by anything are dropped', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    const { firstStage, secondStage, late } = await stepsWithPartials(a);
    const got = await take(
      followProgress({
        hub: server.hub,
        analysisId: a.analysisId,
        lastEventId: firstStage,
        readSnapshot: a.readSnapshot,
      }),
      2,
    );
    expect(got.map((g) => g.id)).toEqual([secondStage, late[2]]);
    expect(kinds(got)).toEqual(['progress/obligations/25', 'partial/obligations/34']);
    expect(got[1]?.event.partial).toEqual({ share: 0.5, finding: 'obligations 3' });
    expect(compareStreamIds(got[1]?.id as string, got[0]?.id as string)).toBeGreaterThan(0);
  });

  it('never drops a stage or terminal event, and drops a trailing partial once something follows it', async () => {
    const a = new FakeAnalysis(worker.publisher);
    const start = await a.step(0);
    const { firstStage, secondStage } = await stepsWithPartials(a);
    const third = await a.step(3); // price
    await a.partial(45);
    const done = await a.finish('completed');
    const got = await take(
      followProgress({
        hub: server.hub,
        analysisId: a.analysisId,
        lastEventId: start,
        readSnapshot: a.readSnapshot,
      }),
    );
    expect(got.map((g) => g.id)).toEqual([firstStage, secondStage, third, done]);
    expect(got.every((g) => g.event.kind !== 'partial')).toBe(true);
  });

  it('resuming mid-partials: the latest partial, then live events with no gap and no repeat', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    const { late } = await stepsWithPartials(a);
    const seenBefore = [{ id: late[0] as string, event: a.published.find((p) => p.id === late[0])?.event }];
    const resumed = consume(
      followProgress({
        hub: server.hub,
        analysisId: a.analysisId,
        lastEventId: late[0],
        readSnapshot: a.readSnapshot,
      }),
    );
    await resumed.started;
    // Live from here on: every event arrives, partials too.
    const live = [await a.partial(36, 'obligations 4'), await a.partial(38), await a.step(3)];
    live.push(await a.partial(44), (await a.finish('completed')) as string);
    const got = await resumed.done;
    expect(got.map((g) => g.id)).toEqual([late[2], ...live]);
    expect(kinds(got)).toEqual([
      'partial/obligations/34',
      'partial/obligations/36',
      'partial/obligations/38',
      'progress/price/42',
      'partial/price/44',
      'completed/done/100',
    ]);
    expectResumedAfter(seenBefore as Parameters<typeof expectResumedAfter>[0], got);
  });

  it('a partial raises the floor: a later event of the same stage below it is dropped, a higher one is not', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(0);
    await a.step(2); // obligations, 25
    const at31 = await a.partial(31);
    const resumed = consume(
      followProgress({
        hub: server.hub,
        analysisId: a.analysisId,
        lastEventId: at31,
        readSnapshot: a.readSnapshot,
      }),
    );
    const at32 = await a.partial(32);
    await resumed.started; // the watcher is live from here on
    const lower = await a.partial(31.5); // what the runner never publishes: it holds the highest
    const notice = await a.step(2); // obligations at 25, below the partials the watcher saw
    const higher = await a.partial(33);
    const end = (await a.finish('failed')) as string;
    const got = await resumed.done;
    const ids = got.map((g) => g.id);
    expect(ids).not.toContain(lower);
    expect(ids).not.toContain(notice);
    expect(ids).toEqual([at32, higher, end]);
  });

  it('a fresh watcher: the stored snapshot (the stage percent), then live partials move the bar up', async () => {
    const a = new FakeAnalysis(worker.publisher);
    await a.step(2); // obligations, 25
    await a.partial(30); // not in "Postgres": the snapshot still says 25
    const watching = consume(
      followProgress({ hub: server.hub, analysisId: a.analysisId, readSnapshot: a.readSnapshot }),
    );
    await watching.started;
    await a.partial(32, 'two obligations identified so far');
    await a.step(3);
    await a.finish('completed');
    const got = await watching.done;
    expect(kinds(got)).toEqual([
      'snapshot/obligations/25',
      'partial/obligations/32',
      'progress/price/42',
      'completed/done/100',
    ]);
    expectNeverBack(got as Parameters<typeof expectNeverBack>[0]);
  });
});
