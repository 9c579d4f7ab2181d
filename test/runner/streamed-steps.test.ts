import type { ProgressEvent } from '@revmemo/contracts';
import { type Db, listSteps } from '@revmemo/db';
import { createModelClient } from '@revmemo/engine';
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
import { eventsOf, silentLog, startHub, waitForAnalysis } from './fixture';

// End to end within a step: the simulated model streams each answer over HTTP, the engine reads it
// with the openai SDK and reports partial answers, the runner coalesces them into partial events,
// and the hub reads them back from Redis (docs/progress-transport.md, docs/durable-steps.md).

const PER_SECOND = 4;
const STEP_STAGES = ['contract', 'obligations', 'price', 'allocation', 'recognition'] as const;

let redis: Redis;
let publisher: ProgressPublisher;
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
      publisher,
      model: {
        client: createModelClient({ apiKey: 'sim', baseUrl: sim.url, timeoutMs: 10_000 }),
        name: 'revmemo-simulated',
        maxContextTokens: 100_000,
        stepRetry: { tries: 3, budgetMs: 10_000, backoffMs: 20 },
      },
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
  return { analysisId, events: await eventsOf(hub, analysisId) };
}

function expectPercentNeverBack(events: ProgressEvent[]) {
  for (let i = 1; i < events.length; i++)
    expect(events[i]?.percent, `event ${i}`).toBeGreaterThanOrEqual(events[i - 1]?.percent ?? 0);
}

describe('streamed steps through the worker', () => {
  it('a model streaming 2,000 chunks a second gives a few partial events per step, inside their stage, in words', async () => {
    await control.configure({ streamMs: 1_000, streamChunks: 2_000 });
    const { events } = await analyse();
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
    for (const stage of STEP_STAGES) {
      const partials = events.filter((e) => e.kind === 'partial' && e.stage === stage);
      // 2,000 chunks in about a second: a handful of events, not thousands (the rate is 4 a second).
      expect(partials.length, stage).toBeGreaterThan(0);
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
