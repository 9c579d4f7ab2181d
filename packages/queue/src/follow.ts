import {
  isTerminal,
  isTerminalEvent,
  type ProgressEvent,
  type ProgressSnapshot,
  stageIndex,
} from '@revmemo/contracts';
import type { ProgressHub } from './hub';
import { compareStreamIds } from './stream-ids';

export interface FollowedEvent {
  id: string;
  event: ProgressEvent;
}

export interface FollowProgressOptions {
  hub: ProgressHub;
  analysisId: string;
  /** The last id the client saw (tRPC's `lastEventId` on reconnect); absent on a first connect. */
  lastEventId?: string | null;
  /** Current state from Postgres. The worker writes it before publishing, so it covers the stream tip. */
  readSnapshot: () => Promise<ProgressSnapshot>;
  signal?: AbortSignal;
}

/** A snapshot of a finished analysis is sent as the terminal event itself, so the stream can end on it. */
function snapshotEvent(snapshot: ProgressSnapshot): ProgressEvent {
  const kind = isTerminal(snapshot.status)
    ? (snapshot.status as 'completed' | 'failed' | 'canceled')
    : 'snapshot';
  return { ...snapshot, kind };
}

/**
 * Where the bar stands, as (stage, percent): a non-terminal event below the highest one a client has
 * seen is not sent, so the bar never steps back, live or after a reconnect (a re-run of the job that
 * announces an earlier stage, or an event overtaken by the snapshot).
 */
class Floor {
  private stage = -1;
  private percent = -1;
  raise(e: Pick<ProgressEvent, 'stage' | 'percent'>) {
    const stage = stageIndex(e.stage);
    if (stage > this.stage || (stage === this.stage && e.percent > this.percent)) {
      this.stage = stage;
      this.percent = e.percent;
    }
  }
  below(e: Pick<ProgressEvent, 'stage' | 'percent'>): boolean {
    const stage = stageIndex(e.stage);
    return stage < this.stage || (stage === this.stage && e.percent < this.percent);
  }
}

/**
 * One client's progress stream (docs/progress-transport.md): subscribe first, then either a
 * snapshot at the stream tip or the backfill after `lastEventId`, then live events deduplicated by id;
 * ends after a terminal event, when `signal` aborts, or when the hub closes.
 */
export async function* followProgress(opts: FollowProgressOptions): AsyncGenerator<FollowedEvent> {
  const { hub, analysisId, readSnapshot, signal } = opts;
  const buffered: FollowedEvent[] = [];
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  // Subscribing before any read means an event published while we read state waits in the buffer.
  const unsubscribe = hub.subscribe(analysisId, (id, event) => {
    buffered.push({ id, event });
    poke();
  });
  signal?.addEventListener('abort', poke);
  hub.closed.addEventListener('abort', poke);
  const stopped = () => signal?.aborted === true || hub.closed.aborted;

  try {
    await hub.ready();
    let last: string | undefined;
    const floor = new Floor();
    /** Sends an item unless it would move the bar back; terminal events always go. */
    const passes = (item: FollowedEvent) => {
      if (isTerminalEvent(item.event)) return true;
      if (floor.below(item.event)) return false;
      floor.raise(item.event);
      return true;
    };

    if (opts.lastEventId) {
      const { trimmed, events, seen } = await hub.backfill(analysisId, opts.lastEventId);
      if (!trimmed) {
        last = opts.lastEventId;
        if (seen) floor.raise(seen);
        for (const item of events) {
          if (stopped()) return;
          if (!passes(item)) {
            last = item.id;
            continue;
          }
          yield item;
          last = item.id;
          if (isTerminalEvent(item.event)) return;
        }
        // The backfill did not end the stream, yet Postgres may already be terminal (the terminal
        // event was trimmed, or never published because the publisher died after the commit).
        const tip = await hub.latestId();
        const snapshot = await readSnapshot();
        if (isTerminal(snapshot.status)) {
          yield { id: compareStreamIds(tip, last) > 0 ? tip : last, event: snapshotEvent(snapshot) };
          return;
        }
      }
    }

    if (last === undefined) {
      // Tip first, then the snapshot: the database is written before each publish, so the snapshot
      // already reflects every event with id <= tip and the live tail starts right after it.
      const tip = await hub.latestId();
      const snapshot = await readSnapshot();
      if (stopped()) return;
      const event = snapshotEvent(snapshot);
      yield { id: tip, event };
      if (isTerminalEvent(event)) return;
      last = tip;
      // Events published between the tip read and the snapshot read can be older than the snapshot.
      floor.raise(event);
    }

    for (;;) {
      if (stopped()) return;
      if (buffered.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const batch = buffered.splice(0).sort((a, b) => compareStreamIds(a.id, b.id));
      for (const item of batch) {
        if (compareStreamIds(item.id, last) <= 0) continue; // already covered by snapshot/backfill
        if (stopped()) return;
        if (!passes(item)) {
          last = item.id;
          continue;
        }
        yield item;
        last = item.id;
        if (isTerminalEvent(item.event)) return;
      }
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', poke);
    hub.closed.removeEventListener('abort', poke);
  }
}
