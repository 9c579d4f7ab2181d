import {
  type AnalysisStatus,
  describeQueuePosition,
  PIPELINE_STAGES,
  type ProgressEvent,
  type ProgressNotice,
  type ProgressSnapshot,
  type QueuePosition,
  STAGES,
  type StageId,
  stageIndex,
} from '@revmemo/contracts';
import { useEffect, useState } from 'react';
import { duration } from '../lib/format';
import type { Connection } from '../lib/progress';

const LABEL: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  ended: 'Finished',
  error: 'Not available',
};

function ConnectionIndicator({ connection }: { connection: Connection }) {
  return (
    <span className={`conn conn-${connection}`} data-connection={connection} role="status" aria-live="polite">
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{LABEL[connection]}</span>
    </span>
  );
}

export function stageLabel(stage: StageId): string {
  return STAGES.find((s) => s.id === stage)?.label ?? stage;
}

/** Seconds since `from` (to `until` once finished), ticking once a second while running. */
export function useElapsed(from: string | null | undefined, until: string | null | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until || !from) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [from, until]);
  if (!from) return null;
  const end = until ? new Date(until).getTime() : now;
  return Math.max(0, (end - new Date(from).getTime()) / 1000);
}

interface Props {
  event: ProgressEvent | ProgressSnapshot | null;
  connection: Connection;
  stages: StageId[];
  startedAt: string | null | undefined;
  completedAt: string | null | undefined;
  /** What the model has found so far in the current stage (partial events); null when none yet. */
  finding?: string | null;
}

/**
 * The live progress view. Every line has a fixed height and numbers use tabular figures, so
 * nothing below it moves as events arrive.
 */
export function ProgressPanel({ event, connection, stages, startedAt, completedAt, finding = null }: Props) {
  const status = event?.status ?? 'queued';
  // The fill follows the unrounded position (one decimal), so partial events move it in small steps.
  const position = Math.min(100, Math.max(0, event?.percent ?? 0));
  const percent = Math.round(position);
  const stage = event?.stage ?? 'queued';
  const elapsed = useElapsed(startedAt, completedAt);
  const current = stageIndex(stage);
  const failed = status === 'failed' || status === 'canceled';
  const headline =
    status === 'completed'
      ? 'Analysis complete'
      : status === 'failed'
        ? 'Analysis failed'
        : status === 'canceled'
          ? 'Analysis canceled'
          : stageLabel(stage);

  return (
    <section
      className={`progress-panel status-${status}`}
      aria-labelledby="progress-heading"
      data-stage={stage}
      data-status={status}
      data-stage-log={stages.join(',')}
    >
      <div className="progress-head">
        <h2 id="progress-heading" className="progress-stage">
          {headline}
        </h2>
        <ConnectionIndicator connection={connection} />
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-label="Analysis progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% — ${headline}`}
      >
        <div className={`bar-fill${failed ? ' bar-fill-failed' : ''}`} style={{ width: `${position}%` }} />
      </div>
      <div className="progress-meta">
        <span className="progress-percent" data-testid="percent">
          {percent}%
        </span>
        <span className="progress-message" title={event?.message}>
          {event?.message ?? 'Waiting for the first update…'}
        </span>
        <span className="progress-elapsed">
          <span className="visually-hidden">Elapsed time </span>
          {elapsed == null ? '—' : duration(elapsed)}
        </span>
      </div>
      {/* Always present so the stage list below never moves when a notice comes or goes. */}
      {event?.notice && status === 'running' ? (
        <NoticeLine notice={event.notice} />
      ) : event?.queue?.state === 'waiting' && status === 'queued' ? (
        <QueueLine queue={event.queue} />
      ) : (
        <p className="progress-notice" aria-hidden="true" />
      )}
      <FindingLine finding={status === 'running' ? finding : null} />
      <ol className="stage-list" aria-label="Stages">
        {PIPELINE_STAGES.map((id) => {
          const idx = stageIndex(id);
          const state =
            status === 'completed' || idx < current
              ? 'done'
              : idx === current && !failed
                ? 'active'
                : idx === current
                  ? 'stopped'
                  : 'todo';
          return (
            <li
              key={id}
              className={`stage stage-${state}`}
              aria-current={state === 'active' ? 'step' : undefined}
            >
              <span className="stage-mark" aria-hidden="true">
                {state === 'done' ? '✓' : ''}
              </span>
              <span className="stage-name">{stageLabel(id)}</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** How often at most a screen reader hears the finding line (it changes several times a second). */
const ANNOUNCE_EVERY_MS = 10_000;

/**
 * What the model has found so far in this stage, replaced as partial events arrive and cleared when
 * a stage starts. Always present (fixed height) so nothing below moves. The visible line is not a
 * live region; a hidden one repeats it at most every ANNOUNCE_EVERY_MS, so it informs without chatter.
 */
function FindingLine({ finding }: { finding: string | null }) {
  const announced = useCalmAnnouncement(finding, ANNOUNCE_EVERY_MS);
  return (
    <>
      <p className="progress-finding" data-testid="progress-finding" title={finding ?? undefined}>
        {finding}
      </p>
      <span className="visually-hidden" aria-live="polite" data-testid="progress-finding-announced">
        {announced}
      </span>
    </>
  );
}

/** `text`, but changing at most once per `everyMs` (the latest value wins when the wait is over). */
function useCalmAnnouncement(text: string | null, everyMs: number): string {
  const [shown, setShown] = useState(text ?? '');
  const [shownAt, setShownAt] = useState(0);
  useEffect(() => {
    const next = text ?? '';
    if (next === shown) return;
    const wait = Math.max(0, shownAt + everyMs - Date.now());
    const t = setTimeout(() => {
      setShown(next);
      setShownAt(Date.now());
    }, wait);
    return () => clearTimeout(t);
  }, [text, shown, shownAt, everyMs]);
  return shown;
}

/** "3 analyses ahead of yours · starts in about 2 min", redrawn as time passes between updates. */
function QueueLine({ queue }: { queue: QueuePosition }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  return (
    <p className="progress-notice notice-queue" data-testid="queue-position" role="status">
      {describeQueuePosition(queue, now)}
    </p>
  );
}

/** Why the bar waits or jumped: a retry countdown, a wait for model capacity, or that a new worker took over. */
function NoticeLine({ notice }: { notice: ProgressNotice }) {
  const [now, setNow] = useState(() => Date.now());
  const until =
    notice.type === 'retrying'
      ? new Date(notice.retryAt).getTime()
      : notice.type === 'model-budget'
        ? new Date(notice.until).getTime()
        : 0;
  useEffect(() => {
    if (notice.type === 'resumed') return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [notice.type]);
  const when = until > now ? `in ${duration((until - now) / 1000)}` : 'now';
  const text =
    notice.type === 'retrying'
      ? `The AI model is busy: ${stageLabel(notice.stage)} is tried again ${when} (try ${notice.attempt} of ${notice.maxAttempts}). Nothing is lost meanwhile.`
      : notice.type === 'model-budget'
        ? `Waiting for AI model capacity shared by all analyses: ${stageLabel(notice.stage)} continues ${when}.`
        : `Resumed at ${stageLabel(notice.stage)}: a new worker took over and kept the finished steps.`;
  return (
    <p className={`progress-notice notice-${notice.type}`} data-testid="progress-notice" role="status">
      {text}
    </p>
  );
}

/** A compact bar for lists. */
export function MiniBar({
  percent,
  status,
  label,
}: {
  percent: number;
  status: AnalysisStatus;
  label: string;
}) {
  const p = Math.round(percent);
  return (
    <div className="mini">
      <div
        className="mini-bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={p}
      >
        <div
          className={`bar-fill${status === 'failed' || status === 'canceled' ? ' bar-fill-failed' : ''}`}
          style={{ width: `${p}%` }}
        />
      </div>
      <span className="mini-percent">{p}%</span>
    </div>
  );
}
