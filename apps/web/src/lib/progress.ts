import { isTerminalEvent, type ProgressEvent, type StageId } from '@revmemo/contracts';
import { useEffect, useRef, useState } from 'react';
import { trpcClient } from './trpc';

/** What the connection indicator shows. `ended`: the stream finished after a terminal event. */
export type Connection = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'ended' | 'error';

interface Stored {
  /** The last tracked() id received: the resume point after a drop, a reload or a new tab. */
  id: string | null;
  event: ProgressEvent;
  /** Every stage this browser has shown for the analysis, in order (no stage may be skipped). */
  stages: StageId[];
  /** The latest finding of the current stage (from `partial` events); absent in older entries. */
  finding?: string | null;
}

const storageKey = (analysisId: string) => `revmemo:progress:${analysisId}`;

/** localStorage, so another tab (or the page reopened after closing it) resumes where this one was. */
function readStored(analysisId: string): Stored | null {
  try {
    const raw = window.localStorage.getItem(storageKey(analysisId));
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

function writeStored(analysisId: string, value: Stored) {
  try {
    window.localStorage.setItem(storageKey(analysisId), JSON.stringify(value));
  } catch {
    // Storage full or blocked (private mode): resuming falls back to a fresh snapshot.
  }
}

export interface ProgressState {
  event: ProgressEvent | null;
  stages: StageId[];
  /** What the model has found so far in the current stage; null at a stage's start. */
  finding: string | null;
  connection: Connection;
  lastEventId: string | null;
  error: string | null;
}

const MAX_RETRY_MS = 10_000;

/**
 * Follows `analysis.progress` and keeps following it. Event ids are opaque here: the server sends
 * only events after the id a subscription resumes from, in stream order (docs/progress-transport.md),
 * so every event received is newer than the one held and is applied as it comes.
 * The SSE link reconnects by itself after short drops (sending Last-Event-ID); when the EventSource
 * gives up, or the stream ends without a terminal event (server restart, max duration), this
 * resubscribes with the stored last id. Going back online reconnects at once instead of waiting for
 * the next retry.
 */
export function useAnalysisProgress(
  analysisId: string | null,
  opts: { enabled: boolean; onTerminal?: (e: ProgressEvent) => void },
): ProgressState {
  const [state, setState] = useState<ProgressState>(() => initialState(analysisId));
  const onTerminal = useRef(opts.onTerminal);
  onTerminal.current = opts.onTerminal;

  useEffect(() => {
    setState(initialState(analysisId));
    if (!analysisId || !opts.enabled) return;
    const stored = readStored(analysisId);
    if (stored && isTerminalEvent(stored.event)) {
      setState((s) => ({ ...s, connection: 'ended' }));
      return;
    }

    let current: Stored | null = stored;
    let token = 0;
    let unsubscribe: (() => void) | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let attempt = 0;
    let everConnected = false;
    let finished = false;

    const setConnection = (c: Connection) =>
      setState((s) =>
        s.connection === c
          ? s
          : { ...s, connection: !navigator.onLine && c !== 'ended' && c !== 'error' ? 'offline' : c },
      );

    const apply = (id: string | null, received: ProgressEvent) => {
      const stages = current?.stages ? [...current.stages] : [];
      const newStage = stages[stages.length - 1] !== received.stage;
      if (newStage) stages.push(received.stage);
      const event = withResumedNotice(current?.event, heldForward(current?.event, received));
      const finding = findingAfter(newStage ? null : (current?.finding ?? null), event);
      current = { id: id ?? current?.id ?? null, event, stages, finding };
      writeStored(analysisId, current);
      setState((s) => ({ ...s, event, stages, finding, lastEventId: current?.id ?? null }));
      if (isTerminalEvent(event)) {
        finished = true;
        setConnection('ended');
        onTerminal.current?.(event);
      }
    };

    const stop = () => {
      token++;
      unsubscribe?.();
      unsubscribe = null;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
    };

    const scheduleRetry = (delayMs?: number) => {
      stop();
      if (finished) return;
      setConnection('reconnecting');
      const delay = delayMs ?? Math.min(1000 * 2 ** attempt, MAX_RETRY_MS);
      attempt++;
      retryTimer = setTimeout(start, delay);
    };

    function start() {
      stop();
      const mine = ++token;
      const live = () => mine === token;
      setConnection(everConnected ? 'reconnecting' : 'connecting');
      const sub = trpcClient.analysis.progress.subscribe(
        { analysisId: analysisId as string, lastEventId: current?.id ?? null },
        {
          onStarted() {
            if (!live()) return;
            everConnected = true;
            attempt = 0;
            setConnection('live');
          },
          onConnectionStateChange(s) {
            if (!live() || finished) return;
            if (s.state === 'pending') setConnection('live');
            else if (s.state === 'connecting')
              setConnection(everConnected || s.error ? 'reconnecting' : 'connecting');
          },
          onData(tracked) {
            if (!live()) return;
            apply(tracked.id, tracked.data);
          },
          onError(err) {
            if (!live()) return;
            const status = (err as { data?: { httpStatus?: number } }).data?.httpStatus;
            if (status === 401 || status === 403 || status === 404) {
              stop();
              finished = true;
              setState((s) => ({ ...s, connection: 'error', error: err.message }));
              return;
            }
            // Too many open streams (other tabs, PROGRESS_STREAMS_PER_USER): wait as long as told.
            const appError = (err as { data?: { appError?: { code?: string; retryAfterSeconds?: number } } })
              .data?.appError;
            if (appError?.code === 'RATE_LIMITED' && appError.retryAfterSeconds)
              return scheduleRetry(
                Math.max(appError.retryAfterSeconds * 1000, Math.min(1000 * 2 ** attempt, MAX_RETRY_MS)),
              );
            scheduleRetry();
          },
          onComplete() {
            if (!live() || finished) return;
            // Ended without a terminal event: the server closed the stream (restart, time cap).
            scheduleRetry(250);
          },
        },
      );
      unsubscribe = () => sub.unsubscribe();
    }

    const onOnline = () => {
      if (!finished) start();
    };
    const onOffline = () => {
      if (!finished) setState((s) => ({ ...s, connection: 'offline' }));
    };
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    start();
    return () => {
      finished = true;
      stop();
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
    };
  }, [analysisId, opts.enabled]);

  return state;
}

/**
 * The bar never steps back: a snapshot read after a fresh subscribe, or a resumed run's event,
 * stands at its stage's start while the bar may already be further within it (partial events).
 */
function heldForward(previous: ProgressEvent | undefined, event: ProgressEvent): ProgressEvent {
  if (!previous || previous.analysisId !== event.analysisId || event.percent >= previous.percent)
    return event;
  return { ...event, percent: previous.percent };
}

/**
 * "Resumed at …" stays up through the stage's partial events (they follow it within a second and
 * carry no notice); a retry or capacity wait is over once partials flow again, so those go.
 */
function withResumedNotice(previous: ProgressEvent | undefined, event: ProgressEvent): ProgressEvent {
  const notice = previous?.notice;
  if (event.kind !== 'partial' || event.notice || notice?.type !== 'resumed') return event;
  return previous?.stage === event.stage && previous.analysisId === event.analysisId
    ? { ...event, notice }
    : event;
}

/**
 * The finding line: the latest finding a partial event gave for this stage (one without a finding
 * keeps the previous one). A retry starts the answer over, and an ended analysis has none.
 */
function findingAfter(previous: string | null, event: ProgressEvent): string | null {
  if (isTerminalEvent(event) || event.notice?.type === 'retrying') return null;
  if (event.kind === 'partial') return event.partial?.finding ?? previous;
  return previous;
}

function initialState(analysisId: string | null): ProgressState {
  const stored = analysisId ? readStored(analysisId) : null;
  return {
    event: stored?.event ?? null,
    stages: stored?.stages ?? [],
    finding: stored?.finding ?? null,
    connection: stored && isTerminalEvent(stored.event) ? 'ended' : 'connecting',
    lastEventId: stored?.id ?? null,
    error: null,
  };
}
