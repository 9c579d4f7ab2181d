import type { ProgressHub } from './hub';
import { type FollowedEvent, type WatchProgressOptions, watchProgress } from './watch';

export type { FollowedEvent } from './watch';

export interface FollowProgressOptions extends WatchProgressOptions {
  hub: ProgressHub;
  signal?: AbortSignal;
}

/**
 * One client's progress stream as an async iterator (docs/progress-transport.md) over `watchProgress`:
 * a snapshot or the backfill after `lastEventId`, then live events; ends after a terminal event, when
 * `signal` aborts, or when the hub closes. The SSE route uses `watchProgress` directly.
 */
export async function* followProgress(opts: FollowProgressOptions): AsyncGenerator<FollowedEvent> {
  const { hub, signal } = opts;
  const queue: FollowedEvent[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  const stop = watchProgress(opts, {
    send(item) {
      queue.push(item);
      poke();
    },
    end(err) {
      ended = true;
      failure = err;
      poke();
    },
  });
  signal?.addEventListener('abort', poke);
  hub.closed.addEventListener('abort', poke);
  const stopped = () => signal?.aborted === true || hub.closed.aborted;
  try {
    for (;;) {
      if (stopped()) return;
      const item = queue.shift();
      if (item) {
        yield item;
        continue;
      }
      if (ended) {
        if (failure !== undefined) throw failure;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stop();
    signal?.removeEventListener('abort', poke);
    hub.closed.removeEventListener('abort', poke);
  }
}
