import {
  isTerminal,
  isTerminalEvent,
  type ProgressEvent,
  type ProgressSnapshot,
  stageIndex,
} from '@revmemo/contracts';
import type { ProgressHub } from './hub';
import { compareStreamIds, streamIdAfter } from './stream-ids';

export interface FollowedEvent {
  id: string;
  event: ProgressEvent;
}

export interface WatchProgressOptions {
  hub: ProgressHub;
  analysisId: string;
  /** The last id the client saw (tRPC's `lastEventId` on reconnect); absent on a first connect. */
  lastEventId?: string | null;
  /**
   * Current state from Postgres. The worker writes it before publishing, so it covers the stream tip.
   * Read once, right after the tip, before anything is sent: it doubles as the ownership check.
   */
  readSnapshot: () => Promise<ProgressSnapshot>;
}

/** Where one watcher's events go. Calls arrive in order; nothing arrives after `end`. */
export interface ProgressSink {
  send(item: FollowedEvent): void;
  /** After a terminal event (no argument) or a failure while starting (the error). */
  end(err?: unknown): void;
}

/** Watchers that share a snapshot read share its event too (and so the SSE route's built frame). */
const snapshotEvents = new WeakMap<ProgressSnapshot, ProgressEvent>();

/** A snapshot of a finished analysis is sent as the terminal event itself, so the stream can end on it. */
function snapshotEvent(snapshot: ProgressSnapshot): ProgressEvent {
  const cached = snapshotEvents.get(snapshot);
  if (cached) return cached;
  const kind = isTerminal(snapshot.status)
    ? (snapshot.status as 'completed' | 'failed' | 'canceled')
    : 'snapshot';
  const event: ProgressEvent = { ...snapshot, kind };
  snapshotEvents.set(snapshot, event);
  return event;
}

/**
 * What a watcher catching up is sent: the latest partial state, not every partial. A partial event
 * is superseded by whatever follows it, so one followed by any later event is dropped; stage and
 * terminal events always stay (docs/progress-transport.md, "Progress within a step").
 */
function latestPartialOnly(items: FollowedEvent[]): FollowedEvent[] {
  const last = items.length - 1;
  return items.filter((item, i) => i === last || item.event.kind !== 'partial');
}

/**
 * One client's progress, pushed (docs/progress-transport.md): subscribe first, then the tip and the
 * snapshot, then either the snapshot or the backfill after `lastEventId`, then live events deduplicated
 * by id; ends after a terminal event. A plain object per watcher rather than an async iterator: with
 * thousands of watchers per process the per-event promise/iterator machinery was the measured cost.
 * Returns `stop`, which unsubscribes (idempotent; the sink hears nothing more).
 */
export function watchProgress(opts: WatchProgressOptions, sink: ProgressSink): () => void {
  const w = new Watcher(opts.hub, opts.analysisId, sink);
  void w.start(opts.lastEventId ?? null, opts.readSnapshot);
  return w.stop;
}

class Watcher {
  /** Live events that arrive before the start-up reads are done, in arrival order. */
  private buffered: FollowedEvent[] | null = [];
  private last = '';
  private floorStage = -1;
  private floorPercent = -1;
  private done = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly hub: ProgressHub,
    private readonly analysisId: string,
    private readonly sink: ProgressSink,
  ) {
    // Subscribing before any read means an event published while we read state waits in the buffer.
    this.unsubscribe = hub.subscribe(analysisId, this.onLive);
  }

  readonly stop = () => {
    if (this.done) return;
    this.done = true;
    this.buffered = null;
    this.unsubscribe();
  };

  private readonly onLive = (id: string, event: ProgressEvent) => {
    if (this.done) return;
    if (this.buffered) this.buffered.push({ id, event });
    else if (compareStreamIds(id, this.last) > 0) this.deliver({ id, event });
  };

  /** Sends an item unless it would move the bar back (terminal events always go); ends after a terminal. */
  private deliver(item: FollowedEvent) {
    const terminal = isTerminalEvent(item.event);
    this.last = item.id;
    if (!terminal) {
      if (this.below(item.event)) return;
      this.raise(item.event);
    }
    this.sink.send(item);
    if (terminal) this.finish();
  }

  private finish(err?: unknown) {
    if (this.done) return;
    this.stop();
    this.sink.end(err);
  }

  private raise(e: Pick<ProgressEvent, 'stage' | 'percent'>) {
    const stage = stageIndex(e.stage);
    if (stage > this.floorStage || (stage === this.floorStage && e.percent > this.floorPercent)) {
      this.floorStage = stage;
      this.floorPercent = e.percent;
    }
  }

  private below(e: Pick<ProgressEvent, 'stage' | 'percent'>): boolean {
    const stage = stageIndex(e.stage);
    return stage < this.floorStage || (stage === this.floorStage && e.percent < this.floorPercent);
  }

  async start(lastEventId: string | null, readSnapshot: () => Promise<ProgressSnapshot>) {
    try {
      await this.hub.ready();
      if (this.done) return;
      // Tip first, then the snapshot: the database is written before each publish, so the snapshot
      // already reflects every event with id <= tip and the live tail starts right after it.
      const tip = await this.hub.latestId();
      const snapshot = await readSnapshot();
      if (this.done) return;
      const event = snapshotEvent(snapshot);
      let resumed = false;
      // The backfill's last partial waits for the events buffered meanwhile: any of them supersedes it.
      let tail: FollowedEvent | undefined;
      if (lastEventId) {
        const { trimmed, events, seen } = await this.hub.backfill(this.analysisId, lastEventId);
        if (this.done) return;
        if (!trimmed) {
          resumed = true;
          this.last = lastEventId;
          if (seen) this.raise(seen);
          const caught = latestPartialOnly(events);
          if (caught.at(-1)?.event.kind === 'partial') tail = caught.pop();
          for (const item of caught) {
            this.deliver(item);
            if (this.done) return;
          }
          // The backfill did not end the stream, yet Postgres may already be terminal: the terminal
          // event was trimmed, never published (the publisher died after the commit), or is being
          // published just now. The stream ends on the database's state, under an id after every id
          // sent (the backfill may hold events newer than the tip read before it).
          if (isTerminalEvent(event)) {
            const id = compareStreamIds(tip, this.last) > 0 ? tip : streamIdAfter(this.last);
            this.deliver({ id, event });
            return;
          }
        }
      }
      if (!resumed) {
        this.deliver({ id: tip, event });
        if (this.done) return;
        // Events published between the tip read and the snapshot read can be older than the snapshot:
        // the floor (raised by the snapshot) keeps them out.
      }
      const last = tail?.id ?? this.last;
      const pending = (this.buffered ?? [])
        .filter((item) => compareStreamIds(item.id, last) > 0) // the rest is covered by snapshot/backfill
        .sort((a, b) => compareStreamIds(a.id, b.id));
      this.buffered = null;
      // Published while this watcher started: caught up on like a backfill, after it.
      for (const item of latestPartialOnly(tail && pending.length === 0 ? [tail] : pending)) {
        this.deliver(item);
        if (this.done) return;
      }
    } catch (err) {
      this.finish(err);
    }
  }
}
