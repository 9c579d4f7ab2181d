import type { ProgressEvent } from '@revmemo/contracts';
import type { trpcClient } from './client';

export interface Received {
  id: string;
  event: ProgressEvent;
}

type Client = ReturnType<typeof trpcClient>;

/**
 * Follows `analysis.progress` until the stream ends by itself (terminal event), or until `stopWhen`
 * says to hang up (a client going away mid-analysis).
 */
export function followUntil(
  client: Client,
  input: { analysisId: string; lastEventId?: string },
  stopWhen: (events: Received[]) => boolean = () => false,
  timeoutMs = 45_000,
): Promise<{ events: Received[]; ended: 'complete' | 'hung-up' }> {
  return new Promise((resolve, reject) => {
    const events: Received[] = [];
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(
        new Error(
          `progress stream timed out after ${events.length} events: ${JSON.stringify(events.map((e) => e.event.stage))}`,
        ),
      );
    }, timeoutMs);
    const sub = client.analysis.progress.subscribe(input, {
      onData(tracked) {
        events.push({ id: tracked.id, event: tracked.data });
        if (stopWhen(events)) {
          clearTimeout(timer);
          // Resolve first: unsubscribing makes the link call onComplete synchronously.
          resolve({ events, ended: 'hung-up' });
          sub.unsubscribe();
        }
      },
      onError(err) {
        clearTimeout(timer);
        reject(err);
      },
      onComplete() {
        clearTimeout(timer);
        resolve({ events, ended: 'complete' });
      },
    });
  });
}
