import { setMaxListeners } from 'node:events';
import type { ProgressEvent } from '@revmemo/contracts';
import { QueueEvents, type QueueEventsListener } from 'bullmq';
import type { Redis } from 'ioredis';
import { coalesce } from './coalesce';
import { type HealthLog, watchRedisHealth } from './health';
import { ANALYSIS_QUEUE } from './jobs';
import {
  analysisStreamKey,
  decodeProgress,
  eventsStreamKey,
  fieldsToObject,
  PROGRESS_EVENT_NAME,
  perAnalysisSinceKey,
} from './progress-events';
import { compareStreamIds, isStreamId, STREAM_START } from './stream-ids';

export type ProgressListener = (id: string, event: ProgressEvent) => void;

export interface ProgressHub {
  /** Live events for one analysis, in stream order, from now on. Returns the unsubscribe function. */
  subscribe(analysisId: string, listener: ProgressListener): () => void;
  /**
   * The analysis's events with ids strictly after `afterId`. `trimmed` means entries after `afterId`
   * may have been cut from the stream (or the id is unknown), so the caller cannot resume from it.
   */
  backfill(
    analysisId: string,
    afterId: string,
  ): Promise<{
    trimmed: boolean;
    events: { id: string; event: ProgressEvent }[];
    /** The event at `afterId` itself (what the client saw last), when it is still in the stream. */
    seen?: ProgressEvent | undefined;
  }>;
  /** The newest entry id in the stream (`0-0` when empty): every event published so far is <= it. */
  latestId(): Promise<string>;
  /** Resolves once the shared reader is positioned; events after that point reach subscribers. */
  ready(): Promise<void>;
  /** Aborted when the hub closes, so open followers end instead of waiting forever. */
  readonly closed: AbortSignal;
  subscriberCount(): number;
  close(): Promise<void>;
}

interface ProgressListenerMap extends QueueEventsListener {
  [PROGRESS_EVENT_NAME]: (args: { analysisId?: string; payload?: string }, id: string) => void;
}

const PAGE = 500;

/**
 * One blocking reader (a BullMQ QueueEvents on its own duplicated connection) per process, fanned out
 * to any number of subscribers by analysis id. Backfill and tip reads are plain commands on the
 * caller's shared connection, so watching adds no connection per browser.
 */
export function createProgressHub(opts: {
  connection: Redis;
  prefix: string;
  onError?: (err: unknown) => void;
  /** Where Redis outages of the shared reader are reported (one line down, one line back). */
  log?: HealthLog;
}): ProgressHub {
  const redis = opts.connection;
  const key = eventsStreamKey(opts.prefix);
  const listeners = new Map<string, Set<ProgressListener>>();
  const closing = new AbortController();
  // Every follower in the process listens on this one signal; hundreds are expected, not a leak.
  setMaxListeners(0, closing.signal);
  const onError = opts.onError ?? (() => undefined);
  let reader: QueueEvents | undefined;

  async function readTip(): Promise<string> {
    const last = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    return last[0]?.[0] ?? STREAM_START;
  }
  // Every watcher connecting in the same turn shares one tip read (issued after all of them subscribed).
  const sharedTip = coalesce(readTip);
  const latestId = () => sharedTip(null);

  const dispatch = (args: { analysisId?: string; payload?: string }, id: string) => {
    const set = args.analysisId ? listeners.get(args.analysisId) : undefined;
    if (!set?.size) return;
    const event = decodeProgress(args.payload);
    if (!event) return;
    for (const listener of [...set]) {
      try {
        listener(id, event);
      } catch (err) {
        onError(err);
      }
    }
  };

  // The reader starts at the tip read here rather than at `$` resolved whenever its first XREAD lands:
  // a follower that reads the tip after ready() is then guaranteed every later entry.
  const started = (async () => {
    const from = await readTip();
    if (closing.signal.aborted) return;
    reader = new QueueEvents(ANALYSIS_QUEUE, {
      connection: redis,
      prefix: opts.prefix,
      autorun: false,
      lastEventId: from,
    });
    // Connection trouble goes to the process's Redis health line; anything else to onError.
    if (opts.log) watchRedisHealth(reader, opts.log, 'progress-reader');
    else reader.on('error', onError);
    reader.on<ProgressListenerMap, typeof PROGRESS_EVENT_NAME>(PROGRESS_EVENT_NAME, dispatch);
    reader.run().catch((err: unknown) => {
      if (!closing.signal.aborted) onError(err);
    });
  })();
  started.catch(onError);

  // Shared by the resumes of one turn (a reconnect storm): the stream's shape and the marker are the
  // same for all of them, and a joined read is one issued after the caller asked.
  const sharedInfo = coalesce(() => streamInfo(key));
  // Likewise the watchers of one analysis (a tab per device, a shared link).
  const analysisInfo = coalesce(streamInfo);
  const perAnalysisSince = coalesce(() => redis.get(perAnalysisSinceKey(opts.prefix)));

  async function streamInfo(streamKey: string): Promise<Record<string, unknown> | null> {
    try {
      return pairs((await redis.xinfo('STREAM', streamKey)) as unknown[]);
    } catch (err) {
      if (String(err).includes('no such key')) return null;
      throw err;
    }
  }

  async function backfill(analysisId: string, afterId: string) {
    if (!isStreamId(afterId)) return { trimmed: true, events: [] };
    const own = analysisStreamKey(opts.prefix, analysisId);
    // Trimmed or unknown is decided before reading any event (one XINFO each, one GET, in parallel).
    const [shared, since, ownInfo] = await Promise.all([
      sharedInfo(null),
      perAnalysisSince(null),
      analysisInfo(own),
    ]);
    // An id from the future belongs to a shared stream that was deleted and recreated.
    if (fromTheFuture(shared, afterId)) return { trimmed: true, events: [] };
    if (since && compareStreamIds(afterId, since) >= 0) {
      // The analysis's own stream holds every event of it after `afterId` (the publisher writes both),
      // so it alone says whether any is gone. The shared stream does not: partial events trim it
      // long before an analysis's own stream loses anything (docs/progress-transport.md).
      if (ownInfo === null || lostIn(ownInfo, afterId)) return { trimmed: true, events: [] };
      return { trimmed: false, ...(await readEntries(own, afterId, null)) };
    }
    // Resume points from before per-analysis streams existed: walk the shared stream.
    if (sharedLost(shared, afterId)) return { trimmed: true, events: [] };
    const read = await readEntries(key, afterId, analysisId);
    // Checked after reading too: trimming only moves forward, so if nothing after afterId is gone
    // now, nothing was gone while we read either.
    return { trimmed: sharedLost(await streamInfo(key), afterId), ...read };
  }

  /** Entries from `afterId` (inclusive, for `seen`) on, optionally only those of one analysis. */
  async function readEntries(streamKey: string, afterId: string, onlyAnalysis: string | null) {
    const events: { id: string; event: ProgressEvent }[] = [];
    let seen: ProgressEvent | undefined;
    // The first page starts AT afterId (inclusive) to read the event the client saw last, in the
    // same round trip: it is where the follower's "never step back" floor starts.
    let start = afterId;
    for (;;) {
      const page = (await redis.xrange(streamKey, start, '+', 'COUNT', PAGE)) as [string, string[]][];
      for (const [id, raw] of page) {
        const fields = fieldsToObject(raw);
        if (
          onlyAnalysis !== null &&
          (fields.event !== PROGRESS_EVENT_NAME || fields.analysisId !== onlyAnalysis)
        )
          continue;
        const event = decodeProgress(fields.payload);
        if (!event) continue;
        if (id === afterId) seen = event;
        else events.push({ id, event });
      }
      if (page.length < PAGE) break;
      start = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
    return { events, seen };
  }

  return {
    subscribe(analysisId, listener) {
      let set = listeners.get(analysisId);
      if (!set) {
        set = new Set();
        listeners.set(analysisId, set);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(analysisId);
        if (!current) return;
        current.delete(listener);
        if (current.size === 0) listeners.delete(analysisId);
      };
    },
    backfill,
    latestId,
    ready: () => started,
    closed: closing.signal,
    subscriberCount: () => {
      let n = 0;
      for (const set of listeners.values()) n += set.size;
      return n;
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      listeners.clear();
      await started.catch(() => undefined);
      await reader?.close();
    },
  };
}

/** The shared stream's entries after `afterId` may be gone (or the id is not one of its own). */
function sharedLost(info: Record<string, unknown> | null, afterId: string): boolean {
  // No stream at all: only "from the beginning" is still a valid position.
  if (info === null) return compareStreamIds(afterId, STREAM_START) > 0;
  return fromTheFuture(info, afterId) || lostIn(info, afterId);
}

function fromTheFuture(info: Record<string, unknown> | null, afterId: string): boolean {
  if (info === null) return false;
  return compareStreamIds(afterId, String(info['last-generated-id'] ?? STREAM_START)) > 0;
}

/** Whether entries after `afterId` may have been removed from the stream `info` describes. */
function lostIn(info: Record<string, unknown>, afterId: string): boolean {
  const length = Number(info.length ?? 0);
  // Redis 7 counts every entry ever added: equal to the length means nothing was ever removed.
  if (typeof info['entries-added'] === 'number' && info['entries-added'] === length) return false;
  if (length === 0) return compareStreamIds(afterId, String(info['last-generated-id'] ?? STREAM_START)) < 0;
  // XDEL (not trimming) records the newest deleted id; trimming only moves the first entry forward
  // (Redis 7.0 does not update max-deleted-entry-id when it trims).
  const maxDeleted = info['max-deleted-entry-id'];
  if (typeof maxDeleted === 'string' && compareStreamIds(afterId, maxDeleted) < 0) return true;
  const firstEntry = info['first-entry'] as [string, unknown] | null | undefined;
  const first =
    typeof info['recorded-first-entry-id'] === 'string' ? info['recorded-first-entry-id'] : firstEntry?.[0];
  // Entries between afterId and the first one still present may have been trimmed. When afterId is
  // the very entry before it nothing was lost, but the stream cannot tell: a fresh snapshot is safe.
  return first ? compareStreamIds(afterId, first) < 0 : false;
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
