import { PIPELINE_STAGES, type ProgressEvent, stageIndex } from '@revmemo/contracts';
import { compareStreamIds } from '@revmemo/queue';
import { expect } from 'vitest';
import type { TestClient } from './client';

export interface Received {
  id: string;
  event: ProgressEvent;
}

/**
 * Follows `analysis.progress` until the stream ends by itself (terminal event), or until `stopWhen`
 * says to hang up (a client going away mid-analysis).
 */
export function followUntil(
  client: TestClient,
  input: { analysisId: string; lastEventId?: string },
  stopWhen: (events: Received[]) => boolean = () => false,
  timeoutMs = 45_000,
): Promise<{ events: Received[]; ended: 'complete' | 'hung-up' }> {
  return new Promise((resolve, reject) => {
    const events: Received[] = [];
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(
        new Error(
          `progress stream timed out after ${events.length} events: ${JSON.stringify(events.map((e) => e.event.stage))}`,
        ),
      );
    }, timeoutMs);
    const sub = client.analysis.progress.subscribe(input, {
      onData(tracked) {
        events.push({ id: tracked.id, event: tracked.data });
        if (stopWhen(events)) {
          clearTimeout(timer);
          // Resolve first: unsubscribing makes the link call onComplete synchronously.
          resolve({ events, ended: 'hung-up' });
          sub.unsubscribe();
        }
      },
      onError(err) {
        clearTimeout(timer);
        reject(err);
      },
      onComplete() {
        clearTimeout(timer);
        resolve({ events, ended: 'complete' });
      },
    });
  });
}

/**
 * Events as one watcher saw them, in order, across any number of connections: ids strictly increase
 * (none repeats), and neither the stage nor the percent ever goes back.
 */
export function expectNeverBack(events: Received[]) {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size, `an id repeats: ${ids.join(' ')}`).toBe(ids.length);
  for (let i = 1; i < events.length; i++) {
    const [prev, cur] = [events[i - 1] as Received, events[i] as Received];
    const where = `event ${i}: ${describe(prev)} -> ${describe(cur)}`;
    expect(compareStreamIds(cur.id, prev.id), where).toBeGreaterThan(0);
    expect(stageIndex(cur.event.stage), where).toBeGreaterThanOrEqual(stageIndex(prev.event.stage));
    expect(cur.event.percent, where).toBeGreaterThanOrEqual(prev.event.percent);
  }
}

/**
 * What a watcher that catches up on `events` all at once receives: the same events, less every
 * partial that a later event supersedes (docs/progress-transport.md, "Progress within a step").
 */
export function withoutSupersededPartials(events: Received[]): Received[] {
  return events.filter((e, i) => e.event.kind !== 'partial' || i === events.length - 1);
}

/**
 * A resume from `before`'s last id: the first resumed event is live (not a snapshot) and comes after
 * the last id seen, and the whole, joined, never goes back.
 */
export function expectResumedAfter(before: Received[], after: Received[]) {
  const lastSeen = before.at(-1);
  const first = after[0];
  if (!lastSeen || !first)
    throw new Error(`nothing to compare: ${before.length} then ${after.length} events`);
  expect(first.event.kind, `first resumed event ${describe(first)}`).not.toBe('snapshot');
  expect(
    compareStreamIds(first.id, lastSeen.id),
    `first resumed id ${first.id} after the last seen ${lastSeen.id}`,
  ).toBeGreaterThan(0);
  expectNeverBack([...before, ...after]);
}

/**
 * No stage missed, none repeated: after the state the watcher first saw (a snapshot, or the first
 * event), every later pipeline stage arrives exactly once as a progress event, in order. The first
 * progress event may repeat the first state's own stage (its event was published between the tip
 * read and the snapshot read).
 */
export function expectEveryStageOnce(events: Received[]) {
  const start = events[0];
  if (!start) throw new Error('no events');
  const after = PIPELINE_STAGES.filter((s) => stageIndex(s) > stageIndex(start.event.stage));
  const progress = events
    .slice(1)
    .filter((e) => e.event.kind === 'progress')
    .map((e) => e.event.stage);
  const seen = progress[0] === start.event.stage ? progress.slice(1) : progress;
  expect(seen, `stages after ${describe(start)}`).toEqual(after);
}

function describe(e: Received): string {
  return `${e.id} ${e.event.kind}/${e.event.stage}/${e.event.percent}`;
}
