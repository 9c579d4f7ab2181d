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
  /** What each watcher was last told (in memory: a worker that takes over the lock tells everyone once). */
  const told = new Map<string, QueuePosition>();

  async function announceOnce(): Promise<number> {
    const token = randomUUID();
    const locked = await redis.set(lockKey, token, 'PX', Math.max(deps.intervalMs * 3, 2_000), 'NX');
    if (locked !== 'OK') return 0;
    try {
      const [positions, stored] = await Promise.all([
        computeQueuePositions({ redis, prefix, gate: deps.gate, stepsPerAnalysis: STEPS.length }),
        redis.hkeys(positionsKey),
      ]);
      const gone = stored.filter((id) => !positions.has(id));
      if (gone.length) await redis.hdel(positionsKey, ...gone);
      for (const id of told.keys()) if (!positions.has(id)) told.delete(id);
      // Redis first, then the stream: a snapshot read after an event's id already carries its position.
      if (positions.size)
        await redis.hset(
          positionsKey,
          Object.fromEntries([...positions].map(([id, p]) => [id, JSON.stringify(p)])),
        );
      let published = 0;
      for (const [analysisId, position] of positions) {
        if (!worthTelling(told.get(analysisId), position)) continue;
        await publishWithRetry(deps, queuedEvent(analysisId, position));
        told.set(analysisId, position);
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

/**
 * Worth an event: near the front every step forward; further back a move of a tenth of the place
 * (so the 250th of a 300-analysis burst is told about 20 times, not 250: the events stream is also
 * the progress log clients resume from); or an estimate that moved by a minute or more.
 */
function worthTelling(before: QueuePosition | undefined, now: QueuePosition): boolean {
  if (!before || (before.startsAt === null) !== (now.startsAt === null)) return true;
  const step = before.ahead <= 20 ? 1 : Math.ceil(before.ahead / 10);
  if (Math.abs(before.ahead - now.ahead) >= step) return true;
  if (before.startsAt === null || now.startsAt === null) return false;
  return Math.abs(Date.parse(before.startsAt) - Date.parse(now.startsAt)) >= 60_000;
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
