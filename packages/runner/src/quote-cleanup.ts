import { cleanUpExpiredQuotes, type Db, type QuoteCleanupResult } from '@revmemo/db';
import type { Redis } from 'ioredis';
import type { Log } from './log';

export interface QuoteCleanupDeps {
  db: Db;
  /** Commands only (SET NX PX): the once-per-interval gate. */
  redis: Redis;
  prefix: string;
  /** QUOTE_RETENTION_HOURS: past expiry, a quote's text is deleted. */
  textAfterMs: number;
  /** QUOTE_RECORD_DAYS: past expiry, an unused quote's textless row is deleted. */
  recordAfterMs: number;
  /** QUOTE_CLEANUP_INTERVAL_MS: at most one run per interval across every worker. */
  intervalMs: number;
  log: Log;
}

/**
 * Deletes expired quotes' contract text on a schedule (docs/limits.md, "Data that expires"). Every
 * worker ticks; a Redis key set with NX and the interval as its expiry lets exactly one of them run
 * per interval, however many workers there are. The key is never released early, so a fast run
 * does not let a second worker run again straight after.
 */
export function createQuoteCleanup(deps: QuoteCleanupDeps) {
  const gateKey = `${deps.prefix}:quotes:cleanup-gate`;

  async function runOnce(): Promise<QuoteCleanupResult> {
    const result = await cleanUpExpiredQuotes(deps.db, {
      textAfterMs: deps.textAfterMs,
      recordAfterMs: deps.recordAfterMs,
    });
    if (result.scrubbed + result.deleted > 0)
      deps.log.info(
        { quotes_scrubbed: result.scrubbed, quotes_deleted: result.deleted },
        'expired quotes cleaned up',
      );
    return result;
  }

  /** Runs when this process wins the interval's gate; null when another worker has it. */
  async function tick(): Promise<QuoteCleanupResult | null> {
    const won = await deps.redis.set(gateKey, String(process.pid), 'PX', deps.intervalMs, 'NX');
    return won === 'OK' ? runOnce() : null;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = tick().catch((err: unknown) => deps.log.error({ err }, 'quote cleanup failed'));
  };
  return {
    tick,
    start() {
      run();
      // Ticks more often than the interval so the next run starts soon after the gate expires.
      timer = setInterval(run, Math.max(100, Math.min(deps.intervalMs, 60_000)));
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
