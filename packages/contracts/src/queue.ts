import type { QueuePosition } from './analysis';

/**
 * "3 analyses ahead of yours · starts in about 2 min": the line under a waiting bar, the same words
 * in the worker's event message and the web page (which redraws it as time passes).
 */
export function describeQueuePosition(q: QueuePosition, now = Date.now()): string {
  if (q.state === 'starting') return 'Starting now';
  const ahead =
    q.ahead === 0 ? 'Next in line' : `${q.ahead} ${q.ahead === 1 ? 'analysis' : 'analyses'} ahead of yours`;
  if (!q.startsAt) return ahead;
  return `${ahead} · ${startsIn(Date.parse(q.startsAt) - now)}`;
}

function startsIn(ms: number): string {
  if (!Number.isFinite(ms) || ms < 45_000) return 'starts in under a minute';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 90) return `starts in about ${Math.max(1, minutes)} min`;
  return `starts in about ${Math.round(minutes / 60)} h`;
}
