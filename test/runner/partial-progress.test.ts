import { randomUUID } from 'node:crypto';
import {
  type PipelineStage,
  type ProgressEvent,
  type ProgressSnapshot,
  snapshotFromStored,
  stageInfo,
} from '@revmemo/contracts';
import { type Db, getAnalysis } from '@revmemo/db';
import type { StepPartial } from '@revmemo/engine';
import { startModelSimulator } from '@revmemo/model-simulator';
import {
  type AnalysisQueue,
  type AnalysisWorker,
  createAnalysisQueue,
  createAnalysisWorker,
  createProgressPublisher,
  createRedisConnection,
  enqueueAnalysis,
  type FollowedEvent,
  followProgress,
  type ProgressHub,
  type ProgressPublisher,
} from '@revmemo/queue';
import { createAnalysisProcessor, PartialProgress, partialPercent, stageEvent } from '@revmemo/runner';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { simulatorControl } from '../support/model';
import { expectNeverBack } from '../support/progress';
import { seedAnalysis, seedUser } from '../support/seed';
import { until } from '../support/wait';
import { eventsOf, silentLog, simulatedModel, startHub, waitForAnalysis } from './fixture';

// Progress within a step (docs/progress-transport.md, "Progress within a step"): the runner's
// coalescer, driven here by synthetic StepPartial calls (the engine's streaming feeds it in production),
// through the real publisher, Redis and hub.

let redis: Redis;
let publisher: ProgressPublisher;
let hub: ProgressHub;
let prefix: string;

beforeAll(async () => {
  redis = createRedisConnection(redisUrl());
  prefix = uniquePrefix('partials');
  publisher = createProgressPublisher({ connection: redis, prefix });
  hub = startHub(redis, prefix);
  await hub.ready();
});

afterAll(async () => {
  await hub.close();
  await publisher.close();
  redis.disconnect();
});

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A StepPartial whose finding() calls are counted. */
function partialOf(stage: PipelineStage, share: number, finding: string | null, calls: Map<number, number>) {
  const partial: StepPartial = {
    stage,
    share,
    finding: () => {
      calls.set(share, (calls.get(share) ?? 0) + 1);
      return finding;
    },
  };
  return partial;
}

async function partialsOf(analysisId: string) {
  return (await eventsOf(hub, analysisId)).filter((e) => e.kind === 'partial');
}

function expectPercentNeverBack(events: ProgressEvent[]) {
  for (let i = 1; i < events.length; i++)
    expect(events[i]?.percent, `event ${i}`).toBeGreaterThanOrEqual(events[i - 1]?.percent ?? 0);
}

describe('the partial-progress coalescer', () => {
  it('publishes a burst of 2,000 partials at most at the configured rate: latest state last, percent never back', async () => {
    const analysisId = randomUUID();
    const perSecond = 4;
    const progress = new PartialProgress({ analysisId, publisher, log: silentLog, perSecond });
    progress.stageBegan('obligations', 'Identifying the performance obligations');
    const calls = new Map<number, number>();
    const findingAt = (i: number) => `${Math.floor(i / 500)} performance obligations identified so far`;
    const started = performance.now();
    for (let i = 1; i <= 2000; i++) {
      progress.onPartial(partialOf('obligations', i / 2000, findingAt(i), calls));
      // A model streaming about 2,000 chunks a second.
      if (i % 20 === 0) await pause(10);
    }
    // The burst lasts until its last state is out (the trailing event comes after the loop).
    await progress.idle();
    const seconds = (performance.now() - started) / 1000;

    const events = await partialsOf(analysisId);
    expect(events.length).toBeGreaterThanOrEqual(2); // the leading and the trailing state at least
    // Node's timers count whole milliseconds and may open a slot up to 1 ms early: allow that per slot.
    expect(events.length).toBeLessThanOrEqual(Math.floor((seconds * 1000) / (1000 / perSecond - 1)) + 1);
    expect(progress.published).toBe(events.length);
    const last = events.at(-1);
    expect(last).toMatchObject({
      kind: 'partial',
      status: 'running',
      stage: 'obligations',
      percent: stageInfo('price').percent, // share 1 ends where the next stage starts
      message: 'Identifying the performance obligations',
      partial: { share: 1, finding: findingAt(2000) },
    });
    expectPercentNeverBack(events);
    for (const e of events) expect(e.percent).toBe(partialPercent('obligations', e.partial?.share ?? -1));
    // finding() was read only for the states that were published, once each.
    expect([...calls.keys()].sort()).toEqual(events.map((e) => e.partial?.share).sort());
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });

  it('a notice or stage event published after a burst is never overtaken by a late partial', async () => {
    const analysisId = randomUUID();
    const progress = new PartialProgress({ analysisId, publisher, log: silentLog, perSecond: 4 });
    const calls = new Map<number, number>();
    progress.stageBegan('price', 'Determining the transaction price');
    // The leading state goes out at once; the latest of the rest waits for the next slot.
    for (let i = 1; i <= 500; i++) progress.onPartial(partialOf('price', i / 1000, null, calls));
    const noticeId = await progress.hold('price', (percent) =>
      publisher.publish(
        stageEvent(analysisId, 'price', 'The AI model is busy; retrying step 3', {
          percent,
          notice: {
            type: 'retrying',
            stage: 'price',
            attempt: 2,
            maxAttempts: 3,
            retryAt: new Date().toISOString(),
          },
        }),
      ),
    );
    await pause(300); // a slot's time: a state from before the notice would go out now
    await progress.idle();
    progress.stepEnded();
    progress.stageBegan('allocation', 'Allocating the transaction price');
    const stageId = await progress.hold('allocation', (percent) =>
      publisher.publish(
        stageEvent(analysisId, 'allocation', 'Allocating the transaction price', { percent }),
      ),
    );
    // A straggler of the finished step.
    progress.onPartial(partialOf('price', 0.9, null, calls));
    await pause(300);
    await progress.idle();
    await progress.close();

    const { events } = await hub.backfill(analysisId, '0-0');
    const at = events.findIndex((e) => e.id === noticeId);
    expect(at).toBeGreaterThan(0);
    expect(events.slice(0, at).every((e) => e.event.kind === 'partial' && e.event.stage === 'price')).toBe(
      true,
    );
    // Nothing from before the notice after it, nothing of the finished step after the next stage.
    expect(events.slice(at).map((e) => e.id)).toEqual([noticeId, stageId]);
    expect(events.at(-1)?.event).toMatchObject({ kind: 'progress', stage: 'allocation', percent: 58 });
  });

  it('a retry notice after partials holds the bar where they left it and reaches a watcher that saw them', async () => {
    const analysisId = randomUUID();
    const progress = new PartialProgress({ analysisId, publisher, log: silentLog, perSecond: 50 });
    const calls = new Map<number, number>();
    progress.stageBegan('obligations', 'Identifying the performance obligations');
    progress.onPartial(partialOf('obligations', 0.5, 'one obligation identified so far', calls));
    await progress.idle();
    const [seen] = await until(
      () => hub.backfill(analysisId, '0-0'),
      (b) => b.events.length === 1,
      'the partial on the stream',
    ).then((b) => b.events);
    expect(seen?.event.percent).toBe(33.5);

    // A watcher that saw the partial (its floor is 33.5) resumes from it.
    const snapshot: ProgressSnapshot = { ...(seen?.event as ProgressEvent) };
    const watcher = collect(
      followProgress({ hub, analysisId, lastEventId: seen?.id, readSnapshot: async () => snapshot }),
    );
    const retryNotice = {
      type: 'retrying' as const,
      stage: 'obligations' as const,
      attempt: 2,
      maxAttempts: 3,
      retryAt: new Date().toISOString(),
    };
    const noticeId = await progress.hold('obligations', (percent) =>
      publisher.publish(
        stageEvent(analysisId, 'obligations', 'The AI model is busy; retrying step 2', {
          percent,
          notice: retryNotice,
        }),
      ),
    );
    await until(
      () => watcher.items.length,
      (n) => n === 1,
      'the watcher to receive the notice',
    );
    // The retried request starts its share at 0 again: the bar holds. The first partial after the notice
    // puts the stage's message back; one with nothing new to say is skipped.
    for (const [share, finding] of [
      [0.1, 'one obligation identified so far'],
      [0.15, 'one obligation identified so far'],
      [0.8, 'two obligations identified so far'],
    ] as const) {
      progress.onPartial(partialOf('obligations', share, finding, calls));
      await progress.idle();
    }
    await progress.close();
    await publisher.publish({
      ...stageEvent(analysisId, 'price', 'done'),
      kind: 'completed',
      status: 'completed',
    });
    const got = await watcher.done;

    expect(got[0]?.id).toBe(noticeId);
    expect(got[0]?.event).toMatchObject({ kind: 'progress', percent: 34, notice: retryNotice });
    expect(got.map((g) => [g.event.kind, g.event.percent, g.event.partial?.share ?? null])).toEqual([
      ['progress', 34, null],
      ['partial', 34, 0.1],
      ['partial', partialPercent('obligations', 0.8), 0.8],
      ['completed', stageInfo('price').percent, null],
    ]);
    expect(got[1]?.event.message).toBe('Identifying the performance obligations');
    expect(got[2]?.event.partial?.finding).toBe('two obligations identified so far');
    expectNeverBack(got);
  });

  it("a finding is one line of plain text: a crafted party name's line breaks and escape codes are gone", async () => {
    const analysisId = randomUUID();
    const progress = new PartialProgress({ analysisId, publisher, log: silentLog, perSecond: 50 });
    progress.stageBegan('contract', 'Identifying the contract and its parties');
    progress.onPartial(
      partialOf(
        'contract',
        0.5,
        'Parties: Evil\u001b[2J\u001b]0;owned\u0007 Corp\r\nSHIPPED\u200b and Acme',
        new Map(),
      ),
    );
    await progress.idle();
    await progress.close();
    const [event] = await partialsOf(analysisId);
    expect(event?.partial?.finding).toBe('Parties: Evil [2J ]0;owned Corp SHIPPED and Acme');
  });

  it('a partial refused because the analysis ended (a cancel) stops the partials and tells the run, once', async () => {
    const analysisId = randomUUID();
    let told = 0;
    const progress = new PartialProgress({
      analysisId,
      publisher,
      log: silentLog,
      perSecond: 50,
      onAnalysisEnded: () => told++,
    });
    progress.stageBegan('contract', 'Identifying the contract and its parties');
    progress.onPartial(partialOf('contract', 0.2, null, new Map()));
    await progress.idle();
    expect(told).toBe(0);
    // What a cancel from the web process publishes: the terminal event sets the ended marker.
    await publisher.publish({
      ...stageEvent(analysisId, 'contract', 'Canceled'),
      kind: 'canceled',
      status: 'canceled',
    });
    for (const share of [0.4, 0.6, 0.8]) {
      progress.onPartial(partialOf('contract', share, null, new Map()));
      await progress.idle();
    }
    await progress.close();
    expect(told).toBe(1);
    expect(await partialsOf(analysisId)).toHaveLength(1);
  });

  it('publishes nothing with PROGRESS_PARTIALS_PER_SECOND=0', async () => {
    const analysisId = randomUUID();
    const progress = new PartialProgress({ analysisId, publisher, log: silentLog, perSecond: 0 });
    expect(progress.enabled).toBe(false);
    progress.stageBegan('contract', 'Identifying the contract and its parties');
    for (let i = 1; i <= 100; i++) progress.onPartial(partialOf('contract', i / 100, 'x', new Map()));
    await progress.close();
    expect(await partialsOf(analysisId)).toEqual([]);
  });

  it('a publish that fails is dropped: logged once, never thrown, and the next state still goes out', async () => {
    const analysisId = randomUUID();
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
    let failNext = 2;
    const flaky: ProgressPublisher = {
      publish: (event) => publisher.publish(event),
      publishPartial: (event) =>
        failNext-- > 0 ? Promise.reject(new Error('Redis away')) : publisher.publishPartial(event),
      lastEvent: (id) => publisher.lastEvent(id),
      hasEnded: (id) => publisher.hasEnded(id),
      close: async () => undefined,
    };
    const progress = new PartialProgress({ analysisId, publisher: flaky, log, perSecond: 50 });
    progress.stageBegan('contract', 'Identifying the contract and its parties');
    for (const share of [0.2, 0.4, 0.6]) {
      progress.onPartial(partialOf('contract', share, null, new Map()));
      await progress.idle();
    }
    await progress.close();
    expect(warnings).toEqual(['partial progress publish failed; dropped']);
    expect((await partialsOf(analysisId)).map((e) => e.partial?.share)).toEqual([0.6]);
  });
});

/** A watcher's items until its stream ends. */
function collect(stream: AsyncGenerator<FollowedEvent>) {
  const items: FollowedEvent[] = [];
  const done = (async () => {
    for await (const item of stream) items.push(item);
    return items;
  })();
  return { items, done };
}

describe('a run after partial events of an earlier run', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Db;
  let queue: AnalysisQueue;
  let sim: Awaited<ReturnType<typeof startModelSimulator>>;
  const workers: AnalysisWorker[] = [];

  beforeAll(async () => {
    database = await freshDatabase();
    db = database.db;
    queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: 5000 });
    sim = await startModelSimulator({ latencyMs: 0 });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await queue.close();
    await sim.close();
    await database.close();
  });

  function startWorker() {
    const worker = createAnalysisWorker({
      connection: redis,
      prefix,
      concurrency: 1,
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      processor: createAnalysisProcessor({
        db,
        publisher,
        model: simulatedModel(sim.url),
        log: silentLog,
        stopping: new AbortController().signal,
        partialsPerSecond: 4,
      }),
    });
    workers.push(worker);
  }

  /** What a cut run left on the stream: step 1 begun, and the bar moved within it (not in Postgres). */
  async function cutRunAt19(analysisId: string): Promise<string> {
    await publisher.publish(stageEvent(analysisId, 'contract', 'Identifying the contract and its parties'));
    return publisher.publish({
      ...stageEvent(analysisId, 'contract', 'Identifying the contract and its parties'),
      kind: 'partial',
      percent: partialPercent('contract', 0.6),
      partial: { share: 0.6, finding: 'A contract between two parties' },
    });
  }

  const watchFrom = (analysisId: string, lastEventId: string) =>
    collect(
      followProgress({
        hub,
        analysisId,
        lastEventId,
        readSnapshot: async () => {
          const row = await getAnalysis(db, analysisId);
          if (!row) throw new Error('analysis missing');
          return snapshotFromStored(row);
        },
      }),
    );

  /**
   * A run cut at 19 % of step 1 (a watcher saw its partial), then the job with the next `failures`
   * model calls answering 500: everything that watcher, resuming at the partial, receives.
   */
  async function resumedAfterFailures(failures: number) {
    const a = await seedAnalysis(db, await seedUser(db, 100));
    const partialId = await cutRunAt19(a.analysisId);
    await simulatorControl(sim.url).fail('500', failures);
    const watcher = watchFrom(a.analysisId, partialId);
    await enqueueAnalysis(queue, a.analysisId, { attempts: 2, backoffMs: 50 });
    startWorker();
    await waitForAnalysis(db, a.analysisId, (r) => r.status === 'completed');
    return watcher.done;
  }

  it('holds the percent the last run reached: its stage event and retry notices reach a watcher that saw the partial', async () => {
    expect(partialPercent('contract', 0.6)).toBe(19);
    // Two in-step retries of step 1, each with a notice.
    const got = await resumedAfterFailures(2);

    const contract = got.filter((g) => g.event.stage === 'contract' && g.event.kind === 'progress');
    expect(contract.map((g) => [g.event.kind, g.event.percent, g.event.notice?.type ?? null])).toEqual([
      ['progress', 19, null],
      ['progress', 19, 'retrying'],
      ['progress', 19, 'retrying'],
    ]);
    expect(got.filter((g) => g.event.kind === 'progress').map((g) => g.event.stage)).toEqual([
      'contract',
      'contract',
      'contract',
      'obligations',
      'price',
      'allocation',
      'recognition',
      'memo',
    ]);
    expect(got.at(-1)?.event.kind).toBe('completed');
    expectNeverBack(got);
  });

  it('a job-level retry says so at the held percent, and the next run resumes there', async () => {
    // Every in-step try of step 1 fails: the job is retried, and its next run resumes at step 1.
    const got = await resumedAfterFailures(3);

    const contract = got.filter((g) => g.event.stage === 'contract' && g.event.kind === 'progress');
    expect(contract.map((g) => [g.event.percent, g.event.notice?.type ?? null])).toEqual([
      [19, null], // the first run's stage event
      [19, 'retrying'],
      [19, 'retrying'],
      [19, null], // the job-level retry's message (handleRunError)
      [19, 'resumed'], // the next run, which read the last event
    ]);
    expect(contract[3]?.event.message).toMatch(/retr/i);
    expect(got.at(-1)?.event.kind).toBe('completed');
    expectNeverBack(got);
  });
});
