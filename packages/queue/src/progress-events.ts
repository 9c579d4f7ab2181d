import { type ProgressEvent, ProgressEventSchema } from '@revmemo/contracts';
import { QueueKeys } from 'bullmq';
import { ANALYSIS_QUEUE } from './jobs';

/**
 * Progress rides on the analysis queue's own BullMQ events stream as a custom event, so one stream
 * (one id sequence, one trimming policy) serves BullMQ's job events and the progress log alike.
 */
export const PROGRESS_EVENT_NAME = 'analysis-progress';

/** The Redis key of the analysis queue's events stream under `prefix`. */
export function eventsStreamKey(prefix: string): string {
  return new QueueKeys(prefix).toKey(ANALYSIS_QUEUE, 'events');
}

/**
 * One analysis's own copy of its progress events (same ids as in the shared stream): backfill reads
 * this, so a reconnect costs that analysis's missed events, not the shared stream's length.
 */
export function analysisStreamKey(prefix: string, analysisId: string): string {
  return `${prefix}:progress:${analysisId}`;
}

/** Set when an analysis's terminal event is published: its run's partial events stop there. */
export function analysisEndedKey(prefix: string, analysisId: string): string {
  return `${prefix}:progress:${analysisId}:ended`;
}

/** The first shared-stream id that also went to a per-analysis stream (older ids: scan the shared one). */
export function perAnalysisSinceKey(prefix: string): string {
  return `${prefix}:progress:per-analysis-since`;
}

/** Stream entry fields; `analysisId` sits beside the JSON so readers filter without parsing. */
export function encodeProgress(event: ProgressEvent): {
  eventName: string;
  analysisId: string;
  payload: string;
} {
  return { eventName: PROGRESS_EVENT_NAME, analysisId: event.analysisId, payload: JSON.stringify(event) };
}

/** Parses a stored payload; anything malformed is dropped rather than sent to a browser. */
export function decodeProgress(payload: unknown): ProgressEvent | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    const parsed = ProgressEventSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Redis returns stream entry fields as a flat [name, value, ...] list. */
export function fieldsToObject(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] as string] = fields[i + 1] as string;
  return out;
}
