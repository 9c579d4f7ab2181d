import { randomUUID } from 'node:crypto';
import { describeQueuePosition, type ProgressEvent, type QueuePosition } from '@revmemo/contracts';
import { STEPS } from '@revmemo/engine';
import { computeQueuePositions, type FairGate, fairGateKeys, type ProgressPublisher } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import type { Log } from './log';
import { publishWithRetry } from './release';

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Tells waiting analyses where they stand (docs/capacity.md). Every worker runs one; a Redis lock
 * lets one announce at a time. Each round computes every waiting analysis's position, stores it in
 * `<prefix>:fair:positions` (the API adds it to snapshots) and publishes a progress event only for
 * analyses whose position or estimate moved, so a long queue does not flood the events stream.
 */
export function createQueueAnnouncer(deps: {
  redis: Redis;
  prefix: string;
  gate: FairGate;
  publisher: ProgressPublisher;
  intervalMs: number;
  log: Log;
}) {
  const { redis, prefix } = deps;
  const lockKey = `${prefix}:fair:announce-lock`;
  const positionsKey = fairGateKeys(prefix).positions;

  async function announceOnce(): Promise<number> {
    const token = randomUUID();
    const locked = await redis.set(lockKey, token, 'PX', Math.max(deps.intervalMs * 3, 2_000), 'NX');
    if (locked !== 'OK') return 0;
    try {
      const [positions, stored] = await Promise.all([
        computeQueuePositions({ redis, prefix, gate: deps.gate, stepsPerAnalysis: STEPS.length }),
        redis.hgetall(positionsKey),
      ]);
      const gone = Object.keys(stored).filter((id) => !positions.has(id));
      if (gone.length) await redis.hdel(positionsKey, ...gone);
      let published = 0;
      for (const [analysisId, position] of positions) {
        if (!moved(parse(stored[analysisId]), position)) continue;
        // Redis first, then the stream: a snapshot read after this event's id already carries it.
        await redis.hset(positionsKey, analysisId, JSON.stringify(position));
        await publishWithRetry(deps, queuedEvent(analysisId, position));
        published++;
      }
      return published;
    } finally {
      await redis.eval(RELEASE_LOCK, 1, lockKey, token);
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    announceOnce,
    start() {
      timer = setInterval(() => {
        running = running
          .then(announceOnce)
          .catch((err: unknown) => deps.log.warn({ err }, 'queue positions not announced'));
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

/** Worth an event: the count ahead changed, or the estimate moved by a minute or more. */
function moved(before: QueuePosition | null, now: QueuePosition): boolean {
  if (!before || before.ahead !== now.ahead || (before.startsAt === null) !== (now.startsAt === null))
    return true;
  if (before.startsAt === null || now.startsAt === null) return false;
  return Math.abs(Date.parse(before.startsAt) - Date.parse(now.startsAt)) >= 60_000;
}

function parse(raw: string | undefined): QueuePosition | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as QueuePosition;
  } catch {
    return null;
  }
}

function queuedEvent(analysisId: string, queue: QueuePosition): ProgressEvent {
  return {
    analysisId,
    status: 'queued',
    stage: 'queued',
    percent: 0,
    message: describeQueuePosition(queue),
    at: new Date().toISOString(),
    errorMessage: null,
    kind: 'progress',
    queue,
  };
}
