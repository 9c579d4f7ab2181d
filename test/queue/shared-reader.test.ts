import { setMaxListeners } from 'node:events';
import { type FollowedEvent, followProgress } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntil } from '../support/wait';
import {
  FakeAnalysis,
  type ServerProcess,
  startPublisher,
  startServerProcess,
  uniquePrefix,
} from './progress-fixture';

const prefix = uniquePrefix('shared');
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

/** Connections this test's server process holds: every one carries the prefix in its client name. */
async function serverConnections(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(`name=${prefix}:`) && !line.includes(`name=${prefix}:worker`)).length;
}

it('200 subscribers in one process share one reader connection', async () => {
  const baseline = await serverConnections(worker.connection);
  // The shared command connection plus the hub's one blocking reader.
  expect(baseline).toBe(2);

  const analyses = Array.from({ length: 20 }, () => new FakeAnalysis(worker.publisher));
  for (const a of analyses) await a.step(0);
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one signal shared by 200 followers, in this test only
  const seen: FollowedEvent[][] = [];
  const followers = Array.from({ length: 200 }, async (_, i) => {
    const a = analyses[i % analyses.length] as FakeAnalysis;
    const got: FollowedEvent[] = [];
    seen.push(got);
    const stream = followProgress({
      hub: server.hub,
      analysisId: a.analysisId,
      readSnapshot: a.readSnapshot,
      signal: controller.signal,
    });
    for await (const item of stream) got.push(item);
    return got;
  });
  // Every follower has its snapshot, so what comes next is live for all of them.
  await waitUntil(
    () => seen.length === 200 && seen.every((got) => got.length > 0),
    'all 200 followers to have their snapshot',
  );
  expect(server.hub.subscriberCount()).toBe(200);
  expect(await serverConnections(worker.connection)).toBe(baseline);

  for (const a of analyses) await a.step(1);
  for (const a of analyses) await a.finish('completed');
  const results = await Promise.all(followers);
  for (const got of results)
    expect(got.map((g) => g.event.kind)).toEqual(['snapshot', 'progress', 'completed']);
  expect(server.hub.subscriberCount()).toBe(0);
  expect(await serverConnections(worker.connection)).toBe(baseline);
  controller.abort();
});
