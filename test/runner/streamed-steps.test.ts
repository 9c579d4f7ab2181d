import type { ProgressEvent } from '@revmemo/contracts';
import { type Db, listSteps } from '@revmemo/db';
import { type ModelSimulator, startModelSimulator } from '@revmemo/model-simulator';
import {
  type AnalysisQueue,
  type AnalysisWorker,
  createAnalysisQueue,
  createAnalysisWorker,
  createProgressPublisher,
  createRedisConnection,
  enqueueAnalysis,
  type ProgressHub,
  type ProgressPublisher,
} from '@revmemo/queue';
import { createAnalysisProcessor } from '@revmemo/runner';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, redisUrl, uniquePrefix } from '../support/harness';
import { type SimulatorControl, simulatorControl } from '../support/model';
import { seedAnalysis, seedUser } from '../support/seed';
import { waitUntil } from '../support/wait';
import { eventsOf, silentLog, simulatedModel, startHub, waitForAnalysis } from './fixture';

// End to end within a step: the simulated model streams each answer over HTTP, the engine reads it
// with the openai SDK and reports partial answers, the runner coalesces them into partial events,
// and the hub reads them back from Redis (docs/progress-transport.md, docs/durable-steps.md).

const PER_SECOND = 4;
const STEP_STAGES = ['contract', 'obligations', 'price', 'allocation', 'recognition'] as const;

let redis: Redis;
let publisher: ProgressPublisher;
/** When the runner handed each event to the publisher (performance.now()), per analysis, in order. */
const handed = new Map<string, { event: ProgressEvent; at: number }[]>();
let hub: ProgressHub;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let queue: AnalysisQueue;
let sim: ModelSimulator;
let control: SimulatorControl;
let worker: AnalysisWorker;

beforeAll(async () => {
  redis = createRedisConnection(redisUrl());
  const prefix = uniquePrefix('streamed');
  publisher = createProgressPublisher({ connection: redis, prefix });
  hub = startHub(redis, prefix);
  await hub.ready();
  database = await freshDatabase();
  db = database.db;
  queue = createAnalysisQueue({ connection: redis, prefix, eventsMaxLen: 5000 });
  sim = await startModelSimulator({ latencyMs: 0 });
  control = simulatorControl(sim.url);
  worker = createAnalysisWorker({
    connection: redis,
    prefix,
    concurrency: 1,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    processor: createAnalysisProcessor({
      db,
      publisher: recording(publisher),
      model: simulatedModel(sim.url),
      log: silentLog,
      stopping: new AbortController().signal,
      partialsPerSecond: PER_SECOND,
    }),
  });
});

afterAll(async () => {
  await worker.close();
  await queue.close();
  await sim.close();
  await hub.close();
  await publisher.close();
  await database.close();
  redis.disconnect();
});

beforeEach(() => control.reset());

async function analyse(): Promise<{ analysisId: string; events: ProgressEvent[] }> {
  const userId = await seedUser(db, 100);
  const { analysisId } = await seedAnalysis(db, userId);
  await enqueueAnalysis(queue, analysisId, { attempts: 2, backoffMs: 50 });
  await waitForAnalysis(db, analysisId, (r) => r.status === 'completed', 60_000);
  // The terminal event is published just after the commit Postgres shows: wait for it too.
  let events: ProgressEvent[] = [];
  await waitUntil(async () => {
    events = await eventsOf(hub, analysisId);
    return events.some((e) => e.kind === 'completed');
  }, 'the completed event');
  return { analysisId, events };
}

/** The publisher as it is, noting when each event is handed to it: the clock the rate is measured on. */
function recording(inner: ProgressPublisher): ProgressPublisher {
  const note = (event: ProgressEvent) => {
    const list = handed.get(event.analysisId) ?? [];
    list.push({ event, at: performance.now() });
    handed.set(event.analysisId, list);
  };
  return {
    publish(event) {
      note(event);
      return inner.publish(event);
    },
    publishPartial(event) {
      note(event);
      return inner.publishPartial(event);
    },
    lastEvent: (analysisId) => inner.lastEvent(analysisId),
    hasEnded: (analysisId) => inner.hasEnded(analysisId),
    close: () => inner.close(),
  };
}

/**
 * How long the runner was in `stage`'s step, in ms: from handing over its stage event to handing
 * over the next event that is not a partial (the next stage). Every partial of the stage is sent
 * in between (docs/progress-transport.md: a stage event holds partials back until it is out).
 */
function stepDurationMs(analysisId: string, stage: string): number {
  const list = handed.get(analysisId) ?? [];
  const from = list.findIndex(
    (h) => h.event.kind === 'progress' && h.event.stage === stage && !h.event.notice,
  );
  const to = list.findIndex((h, i) => i > from && h.event.kind !== 'partial' && h.event.stage !== stage);
  if (from < 0 || to < 0) throw new Error(`no stage event for ${stage}, or none after it`);
  return (list[to]?.at ?? 0) - (list[from]?.at ?? 0);
}

function expectPercentNeverBack(events: ProgressEvent[]) {
  for (let i = 1; i < events.length; i++)
    expect(events[i]?.percent, `event ${i}`).toBeGreaterThanOrEqual(events[i - 1]?.percent ?? 0);
}

describe('streamed steps through the worker', () => {
  it('a model streaming 2,000 chunks a second gives a few partial events per step, inside their stage, in words', async () => {
    await control.configure({ streamMs: 1_000, streamChunks: 2_000 });
    const { analysisId, events } = await analyse();
    const stages = events.filter((e) => e.kind === 'progress' && !e.notice).map((e) => e.stage);
    const wanted: string[] = [...STEP_STAGES, 'memo'];
    expect(stages.filter((s) => wanted.includes(s))).toEqual(wanted);
    expect(events.at(-1)?.kind).toBe('completed');
    expectPercentNeverBack(events);

    // Each partial belongs to the stage announced last, and none comes after the memo stage.
    let current: string | undefined;
    for (const e of events) {
      if (e.kind === 'progress') current = e.stage;
      if (e.kind === 'partial') {
        expect(e.stage).toBe(current);
        expect(STEP_STAGES).toContain(e.stage);
      }
    }
    // Every stage event and the terminal event arrive, once each: none is coalesced away.
    for (const stage of wanted)
      expect(
        events.filter((e) => e.kind === 'progress' && !e.notice && e.stage === stage),
        stage,
      ).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'completed')).toHaveLength(1);
    // The model really streamed: every step's answer came in chunks (up to 2,000 of them).
    const steps = (await control.requests()).filter((r) => r.step !== null);
    expect(steps.length).toBe(STEP_STAGES.length);
    expect(steps.every((r) => r.streamed === true && r.outcome === 'ok')).toBe(true);

    for (const stage of STEP_STAGES) {
      const partials = events.filter((e) => e.kind === 'partial' && e.stage === stage);
      // At most PER_SECOND a second over the step's measured time, plus the leading one: a
      // handful, not thousands. A bound on counts, from the time the step took, not on timing.
      // Node's timers count whole milliseconds, so a slot may open up to 1 ms early.
      const durationMs = stepDurationMs(analysisId, stage);
      const bound = durationMs / (1000 / PER_SECOND - 1) + 1;
      expect(partials.length, stage).toBeGreaterThan(0);
      expect(
        partials.length,
        `${stage}: ${partials.length} partials in ${durationMs.toFixed(1)} ms`,
      ).toBeLessThanOrEqual(bound);
      expect(partials.length, stage).toBeLessThan(20);
    }
    const findings = events.flatMap((e) =>
      e.kind === 'partial' && e.partial?.finding ? [e.partial.finding] : [],
    );
    expect(findings.some((f) => /Parties: /.test(f))).toBe(true);
    expect(findings.some((f) => /performance obligations? identified/.test(f))).toBe(true);
  });

  it('a stream cut mid-answer is retried; the saved step is the complete answer, never the cut one', async () => {
    await control.configure({ streamMs: 600, streamChunks: 300 });
    await control.fail('cut', 1, { step: 'step2' });
    const { analysisId, events } = await analyse();
    expect(events.at(-1)?.kind).toBe('completed');
    expectPercentNeverBack(events);
    const requests = (await control.requests()).filter((r) => r.step?.includes('step2'));
    expect(requests.map((r) => r.outcome)).toEqual(['cut', 'ok']);
    const [cut, complete] = requests;
    expect(complete?.content?.startsWith(cut?.content ?? '')).toBe(true);
    const saved = (await listSteps(db, analysisId)).find((s) => s.step === 'obligations');
    expect(saved?.result).toEqual(JSON.parse(complete?.content ?? ''));
    expect(saved?.modelCalls).toBe(2);
  });
});
