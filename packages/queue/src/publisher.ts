import type { ProgressEvent } from '@revmemo/contracts';
import { type ConnectionOptions, QueueEventsProducer } from 'bullmq';
import { type HealthLog, watchRedisHealth } from './health';
import { ANALYSIS_QUEUE } from './jobs';
import { encodeProgress } from './progress-events';

export interface ProgressPublisher {
  /** Appends the event to the analysis events stream; resolves with its Redis stream id. */
  publish(event: ProgressEvent): Promise<string>;
  close(): Promise<void>;
}

/** Matches the queue's default; config passes Config.queue.eventsMaxLen. */
const DEFAULT_EVENTS_MAX_LEN = 10_000;

export function createProgressPublisher(opts: {
  connection: ConnectionOptions;
  prefix: string;
  eventsMaxLen?: number;
  /** Where Redis outages are reported (one line down, one line back); see watchRedisHealth. */
  log?: HealthLog;
}): ProgressPublisher {
  const producer = new QueueEventsProducer(ANALYSIS_QUEUE, {
    connection: opts.connection,
    prefix: opts.prefix,
  });
  // Without a listener BullMQ prints its connection errors raw to the console.
  if (opts.log) watchRedisHealth(producer, opts.log, 'progress-publisher');
  else producer.on('error', () => undefined);
  const maxLen = opts.eventsMaxLen ?? DEFAULT_EVENTS_MAX_LEN;
  return {
    async publish(event) {
      // QueueEventsProducer.publishEvent() resolves with nothing; the backend call it wraps returns the
      // XADD id, which callers need (the API's cancel answers with it). Same fields, same MAXLEN ~.
      const { eventName, ...rest } = encodeProgress(event);
      return producer.getBackend().publishEvent({ event: eventName, ...rest }, maxLen);
    },
    close: () => producer.close(),
  };
}
