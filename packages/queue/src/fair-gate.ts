import type { QueuePosition } from '@revmemo/contracts';
import type { Redis } from 'ioredis';
import { type AnalysisQueue, type RetryOptions, requeueAnalysis } from './jobs';

/**
 * Fair admission (docs/capacity.md): an analysis first joins its user's waiting list in Redis and
 * enters the BullMQ queue only while that user has fewer than `maxRunningPerUser` admitted. So one
 * user's burst of 300 puts at most that many jobs in front of everyone else, and each user's own
 * analyses start in the order they were submitted.
 *
 * Keys under `<prefix>:fair:`: `owner` (hash analysis -> user, every analysis the gate holds),
 * `waiting:<user>` (list, oldest first), `running:<user>` (set of admitted analyses, whose jobs are
 * in BullMQ: waiting, active, delayed or parked), `users` (users with anything in the two).
 *
 * Crash safety: a slot is tied to a live BullMQ job, not to a process. A worker that dies leaves its
 * job to BullMQ's stalled check, which hands it to another worker: the slot stays taken, rightly.
 * Slots whose analysis ended without `finish` (a process died between the commit and the call) are
 * freed by `reconcile`, which the sweeper runs; an admission whose enqueue was lost is re-enqueued there.
 */
export interface FairGate {
  /** Adds the analysis to its user's waiting list (once) and admits what the cap allows. */
  submit(userId: string, analysisId: string, opts?: { front?: boolean }): Promise<'admitted' | 'waiting'>;
  /** The analysis ended (or was canceled): frees its slot or place and admits the user's next. */
  finish(analysisId: string): Promise<void>;
  /** Where the gate holds the analysis, if it does. */
  lookup(analysisId: string): Promise<{ userId: string; state: 'waiting' | 'admitted' } | null>;
  /** Every user's waiting list (oldest first) and admitted set. */
  users(): Promise<GateUser[]>;
  /** Fills free slots of every user (after a crash between freeing a slot and admitting). */
  admitAll(): Promise<string[]>;
  /** The queue position last announced for an analysis (the API adds it to snapshots). */
  position(analysisId: string): Promise<QueuePosition | null>;
  maxRunningPerUser: number;
}

export interface GateUser {
  userId: string;
  waiting: string[];
  admitted: string[];
}

// Both scripts end here: admit the user's oldest waiting analyses while they have free slots (KEYS[2]
// waiting list, KEYS[3] running set, ARGV[3] cap), and forget a user with nothing left (KEYS[4]).
const ADMIT = `
local admitted = {}
while redis.call('SCARD', KEYS[3]) < tonumber(ARGV[3]) do
  local id = redis.call('LPOP', KEYS[2])
  if not id then break end
  redis.call('SADD', KEYS[3], id)
  admitted[#admitted + 1] = id
end
if redis.call('SCARD', KEYS[3]) == 0 and redis.call('LLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return admitted
`;

// KEYS: owner, waiting:<user>, running:<user>, users. ARGV: analysis id ('' = admit only), user, cap, front.
const SUBMIT = `
if ARGV[1] ~= '' and redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  if ARGV[4] == '1' then redis.call('LPUSH', KEYS[2], ARGV[1]) else redis.call('RPUSH', KEYS[2], ARGV[1]) end
  redis.call('SADD', KEYS[4], ARGV[2])
end
${ADMIT}`;

// KEYS: owner, waiting:<user>, running:<user>, users, positions. ARGV: analysis id, user, cap.
const FINISH = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('LREM', KEYS[2], 0, ARGV[1])
end
redis.call('HDEL', KEYS[5], ARGV[1])
${ADMIT}`;

export function fairGateKeys(prefix: string) {
  const base = `${prefix}:fair`;
  return {
    owner: `${base}:owner`,
    users: `${base}:users`,
    positions: `${base}:positions`,
    stepDurations: `${base}:step-ms`,
    waiting: (userId: string) => `${base}:waiting:${userId}`,
    running: (userId: string) => `${base}:running:${userId}`,
  };
}

export function createFairGate(opts: {
  redis: Redis;
  prefix: string;
  queue: AnalysisQueue;
  maxRunningPerUser: number;
  retry: RetryOptions;
}): FairGate {
  const { redis, queue, retry } = opts;
  const k = fairGateKeys(opts.prefix);
  const cap = String(opts.maxRunningPerUser);

  /** Admitted analyses go into BullMQ now (requeue: a finished job with the same id is replaced). */
  async function enqueue(ids: string[]) {
    for (const id of ids) await requeueAnalysis(queue, id, retry);
  }

  async function admit(userId: string, analysisId = '', front = false): Promise<string[]> {
    const admitted = (await redis.eval(
      SUBMIT,
      4,
      k.owner,
      k.waiting(userId),
      k.running(userId),
      k.users,
      analysisId,
      userId,
      cap,
      front ? '1' : '0',
    )) as string[];
    await enqueue(admitted);
    return admitted;
  }

  return {
    maxRunningPerUser: opts.maxRunningPerUser,
    async submit(userId, analysisId, o = {}) {
      await admit(userId, analysisId, o.front);
      return (await redis.sismember(k.running(userId), analysisId)) ? 'admitted' : 'waiting';
    },
    async finish(analysisId) {
      const userId = await redis.hget(k.owner, analysisId);
      if (!userId) {
        await redis.hdel(k.positions, analysisId);
        return;
      }
      const admitted = (await redis.eval(
        FINISH,
        5,
        k.owner,
        k.waiting(userId),
        k.running(userId),
        k.users,
        k.positions,
        analysisId,
        userId,
        cap,
      )) as string[];
      await enqueue(admitted);
    },
    async lookup(analysisId) {
      const userId = await redis.hget(k.owner, analysisId);
      if (!userId) return null;
      const admitted = await redis.sismember(k.running(userId), analysisId);
      return { userId, state: admitted ? 'admitted' : 'waiting' };
    },
    async users() {
      const ids = await redis.smembers(k.users);
      const out: GateUser[] = [];
      for (const userId of ids) {
        const [waiting, admitted] = await Promise.all([
          redis.lrange(k.waiting(userId), 0, -1),
          redis.smembers(k.running(userId)),
        ]);
        out.push({ userId, waiting, admitted });
      }
      return out;
    },
    async admitAll() {
      const admitted: string[] = [];
      for (const userId of await redis.smembers(k.users)) admitted.push(...(await admit(userId)));
      return admitted;
    },
    async position(analysisId) {
      const raw = await redis.hget(k.positions, analysisId);
      if (!raw) return null;
      try {
        return JSON.parse(raw) as QueuePosition;
      } catch {
        return null;
      }
    },
  };
}
