import type { EventEmitter } from 'node:events';

/** The part of a pino logger the health watch uses. */
export interface HealthLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Anything that emits Redis trouble as `error` events: an ioredis connection or a BullMQ Queue,
 * Worker, QueueEvents or QueueEventsProducer (they forward their connections' errors). BullMQ
 * objects expose their ioredis client as `client` (a promise), which says when Redis is back.
 */
type Watched = Pick<EventEmitter, 'on'> & { client?: unknown };

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * True for the errors an unreachable or restarting Redis produces: socket errors while connecting,
 * "Connection is closed." for commands cut off, and LOADING while a restarted Redis reads its
 * append-only file. Command errors (a bad script, WRONGTYPE) are not outages.
 */
export function isRedisConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
    if (
      /Connection is closed|Stream isn't writeable|connect ECONNREFUSED|read ECONNRESET|^LOADING |Reached the max retries per request|enableOfflineQueue/.test(
        message,
      )
    )
      return true;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some(isRedisConnectionError)) return true;
  }
  return false;
}

interface ProcessHealth {
  state: 'up' | 'down';
  since: number;
  /** Failed attempts and commands swallowed while down: counted, not logged one by one. */
  suppressed: number;
  confirm?: NodeJS.Timeout;
}

/** One state per Redis server per process: ten connections to one Redis make one outage, not ten. */
const healthByTarget = new Map<string, ProcessHealth>();

/** A reconnect must hold this long before "back" is logged, so a late error from a sibling connection does not flap. */
const CONFIRM_MS = 1_000;

function addressOf(target: Watched): string {
  const o = target as {
    options?: { host?: string; port?: number; path?: string };
    opts?: { connection?: { options?: { host?: string; port?: number; path?: string } } };
  };
  const opts = o.options?.port ? o.options : o.opts?.connection?.options;
  if (!opts) return 'redis';
  return opts.path ? opts.path : `${opts.host ?? '127.0.0.1'}:${opts.port ?? 6379}`;
}

/**
 * Gives `target` an `error` listener (without one, ioredis and BullMQ print raw errors to the
 * console) and turns its errors into ONE structured line when Redis becomes unreachable and ONE
 * when it is back, however many connections and commands fail in between. Other errors are logged
 * as they come. `name` says which object noticed first (queue, worker, progress-reader, …).
 */
export function watchRedisHealth(target: Watched, log: HealthLog, name: string): void {
  const redis = addressOf(target);
  let health = healthByTarget.get(redis);
  if (!health) {
    health = { state: 'up', since: Date.now(), suppressed: 0 };
    healthByTarget.set(redis, health);
  }
  const h = health;

  const onError = (err: unknown) => {
    if (!isRedisConnectionError(err)) {
      if (h.state === 'down') h.suppressed++;
      else log.error({ err, redis, component: name }, 'Redis error');
      return;
    }
    if (h.confirm) {
      clearTimeout(h.confirm);
      h.confirm = undefined;
    }
    if (h.state === 'down') {
      h.suppressed++;
      return;
    }
    h.state = 'down';
    h.since = Date.now();
    h.suppressed = 0;
    const e = err as { code?: string; message?: string };
    log.warn(
      { redis, redis_state: 'unreachable', component: name, err_code: e.code, err_message: e.message },
      'Redis unreachable: queue and progress calls wait until it is back',
    );
  };

  const onReady = () => {
    if (h.state === 'up' || h.confirm) return;
    h.confirm = setTimeout(() => {
      h.confirm = undefined;
      if (h.state === 'up') return;
      h.state = 'up';
      log.info(
        {
          redis,
          redis_state: 'reachable',
          component: name,
          down_ms: Date.now() - h.since,
          failed_attempts: h.suppressed,
        },
        'Redis reachable again',
      );
    }, CONFIRM_MS);
    h.confirm.unref();
  };

  target.on('error', onError);
  target.on('ready', onReady);
  // BullMQ objects: their own client (a promise) says when it reconnects; they have no 'ready' event.
  // (On an ioredis connection `client` is the CLIENT command, not a promise.)
  const client = (() => {
    try {
      return target.client;
    } catch {
      return undefined;
    }
  })();
  if (client instanceof Promise) {
    client
      .then((c: unknown) => {
        const emitter = c as Partial<Pick<EventEmitter, 'on'>> | undefined;
        if (emitter && emitter !== target && typeof emitter.on === 'function') emitter.on('ready', onReady);
      })
      .catch(() => undefined);
  }
}
