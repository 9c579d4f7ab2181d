import { isTerminalEvent, type ProgressEvent } from '@revmemo/contracts';
import type { Redis } from 'ioredis';
import type { HealthLog } from './health';
import {
  analysisEndedKey,
  analysisStreamKey,
  decodeProgress,
  encodeProgress,
  eventsStreamKey,
  fieldsToObject,
  perAnalysisSinceKey,
} from './progress-events';

export interface ProgressPublisher {
  /** Appends the event to the analysis events stream; resolves with its Redis stream id. */
  publish(event: ProgressEvent): Promise<string>;
  /**
   * A run's `partial` event, fenced: null (nothing written) once a terminal event of the analysis
   * was published, so a cancel landing mid-step is never followed by the step's partials.
   */
  publishPartial(event: ProgressEvent): Promise<string | null>;
  /**
   * The analysis's newest event (one XREVRANGE COUNT 1 on its own stream); undefined when it has
   * none left. A new run reads it to hold the bar where the last run left it (partial events are
   * not in Postgres; docs/progress-transport.md, "Progress within a step").
   */
  lastEvent(analysisId: string): Promise<ProgressEvent | undefined>;
  /**
   * Whether a terminal event of the analysis was published (its ended marker, one EXISTS): how a
   * running worker learns of a cancel from the web process before its next write.
   */
  hasEnded(analysisId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Matches the queue's default; config passes Config.queue.eventsMaxLen. */
const DEFAULT_EVENTS_MAX_LEN = 10_000;

/** An analysis's own copy of its events outlives any resume worth serving (docs/progress-transport.md). */
const ANALYSIS_STREAM_TTL_SECONDS = 7 * 24 * 3600;

/**
 * One round trip, atomically: the event goes to the queue's shared events stream (the one the hubs
 * read live, same fields and MAXLEN ~ as BullMQ's own publishEvent) and, under the same id, to the
 * analysis's own stream, which backfill reads so a resume costs that analysis's events only. The
 * first id ever written this way is remembered: older resume points predate the per-analysis copies.
 * A terminal event marks the analysis ended; a partial event of an ended analysis is not written
 * (ARGV[6]: 'terminal', 'partial' or 'other').
 */
const PUBLISH = `
if ARGV[6] == 'partial' and redis.call('EXISTS', KEYS[4]) == 1 then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2], 'analysisId', ARGV[3], 'payload', ARGV[4])
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], id, 'payload', ARGV[4])
if type(added) == 'table' and added.err then
  -- The shared stream was recreated with lower ids: the old copy cannot continue it.
  redis.call('DEL', KEYS[2])
  redis.call('XADD', KEYS[2], id, 'payload', ARGV[4])
end
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('SET', KEYS[3], id, 'NX')
if ARGV[6] == 'terminal' then redis.call('SET', KEYS[4], '1', 'EX', ARGV[5]) end
return id
`;

export function createProgressPublisher(opts: {
  /** The process's shared command connection (no connection of its own). */
  connection: Redis;
  prefix: string;
  eventsMaxLen?: number;
  /** Kept for callers; the shared connection's outages are reported where it is watched. */
  log?: HealthLog;
}): ProgressPublisher {
  const redis = opts.connection;
  const shared = eventsStreamKey(opts.prefix);
  const since = perAnalysisSinceKey(opts.prefix);
  const maxLen = String(opts.eventsMaxLen ?? DEFAULT_EVENTS_MAX_LEN);
  let sha: string | undefined;
  const ttl = String(ANALYSIS_STREAM_TTL_SECONDS);
  const run = async (event: ProgressEvent, mode: 'terminal' | 'partial' | 'other'): Promise<unknown> => {
    const { eventName, analysisId, payload } = encodeProgress(event);
    const keys = [
      shared,
      analysisStreamKey(opts.prefix, analysisId),
      since,
      analysisEndedKey(opts.prefix, analysisId),
    ];
    const args = [maxLen, eventName, analysisId, payload, ttl, mode];
    // EVALSHA saves sending the script each time; NOSCRIPT (a restarted Redis) sends it once more.
    if (sha) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!String(err).includes('NOSCRIPT')) throw err;
      }
    }
    const result = await redis.eval(PUBLISH, keys.length, ...keys, ...args);
    sha ??= String(await redis.script('LOAD', PUBLISH));
    return result;
  };
  return {
    async publish(event) {
      return String(await run(event, isTerminalEvent(event) ? 'terminal' : 'other'));
    },
    async publishPartial(event) {
      const id = await run(event, 'partial');
      return id === null ? null : String(id);
    },
    async lastEvent(analysisId) {
      const key = analysisStreamKey(opts.prefix, analysisId);
      const [entry] = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
      return entry ? decodeProgress(fieldsToObject(entry[1]).payload) : undefined;
    },
    async hasEnded(analysisId) {
      return (await redis.exists(analysisEndedKey(opts.prefix, analysisId))) === 1;
    },
    close: async () => undefined,
  };
}
