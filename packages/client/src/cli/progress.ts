import type { ReconnectInfo } from '../client';
import type { ProgressEvent, ProgressNotice, QueuePosition } from '../types';

export interface Sink {
  write(s: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** "1:05" / "1:02:05" */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function describeNotice(n: ProgressNotice, now = Date.now()): string {
  if (n.type === 'resumed') return `resumed at ${n.stage}; finished steps are kept`;
  if (n.type === 'model-budget') {
    const inS = Math.max(0, Math.round((Date.parse(n.until) - now) / 1000));
    return `waiting for model capacity; ${n.stage} continues in ${inS}s`;
  }
  const inS = Math.max(0, Math.round((Date.parse(n.retryAt) - now) / 1000));
  return `retrying ${n.stage} (attempt ${n.attempt} of ${n.maxAttempts}) in ${inS}s`;
}

/** "3 analyses ahead of yours · starts in about 2 min" (the web page's words). */
function describeQueue(q: QueuePosition, now = Date.now()): string {
  if (q.state === 'starting') return 'starting now';
  const ahead =
    q.ahead === 0 ? 'next in line' : `${q.ahead} ${q.ahead === 1 ? 'analysis' : 'analyses'} ahead of yours`;
  if (!q.startsAt) return ahead;
  const ms = Date.parse(q.startsAt) - now;
  const minutes = Math.round(ms / 60_000);
  const eta =
    !Number.isFinite(ms) || ms < 45_000
      ? 'starts in under a minute'
      : minutes < 90
        ? `starts in about ${Math.max(1, minutes)} min`
        : `starts in about ${Math.round(minutes / 60)} h`;
  return `${ahead} · ${eta}`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar in eighths of a cell, so a partial event's few tenths of a percent visibly move it. */
function drawBar(percent: number, width = 20): string {
  const eighths = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8] ?? '';
  return `${'█'.repeat(full)}${part}${'░'.repeat(width - full - (part ? 1 : 0))}`;
}

/**
 * Shows progress: on a terminal one line redrawn in place (bar, percent, stage, the latest finding
 * of the step, elapsed, a reconnecting indicator and the latest notice); elsewhere one plain line
 * per stage or notice, and one per new finding (partial events arrive several a second: a line
 * each would bury the log).
 */
export function createProgressView(out: Sink, startedAt: number, now: () => number = Date.now) {
  const live = out.isTTY === true;
  let last: ProgressEvent | null = null;
  let notice: string | null = null;
  /** What the model has found so far in the current step; a stage or notice event clears it. */
  let finding: string | null = null;
  let reconnecting: string | null = null;
  let drawn = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  function line(): string {
    const pct = last ? Math.round(last.percent) : 0;
    const head = `${drawBar(last?.percent ?? 0)} ${String(pct).padStart(3)}%`;
    const tail = [formatElapsed(now() - startedAt)];
    if (reconnecting) tail.push(reconnecting);
    else if (notice) tail.push(notice);
    const cols = out.columns || 80; // a pseudo-terminal may report 0
    const join = (message: string, found: string | null) =>
      [head, message, ...(found ? [found] : []), ...tail].join(' · ');
    const message = last?.message ?? 'connecting…';
    let text = join(message, finding);
    if (finding && text.length >= cols) {
      // Narrow: the finding says more than the stage's full name ("Step 2: Performance obligations").
      const short = message.split(':')[0] ?? message;
      const room = cols - 1 - join(short, '').length - 3;
      text =
        room >= 12 ? join(short, finding.length > room ? `${finding.slice(0, room - 1)}…` : finding) : text;
    }
    return text.length >= cols ? `${text.slice(0, Math.max(10, cols - 2))}…` : text;
  }
  function draw() {
    if (!live) return;
    out.write(`\r\x1b[2K${line()}`);
    drawn = true;
  }
  if (live) timer = setInterval(draw, 1000);
  timer?.unref?.();

  /** Moves the bar within the stage; off a terminal, prints only a finding it has not printed. */
  function partial(e: ProgressEvent) {
    const stageChanged = !last || last.stage !== e.stage;
    last = e;
    if (reconnecting && !live) out.write('reconnected\n');
    reconnecting = null;
    notice = null; // the model is writing again: a retry or capacity wait is over
    // Findings quote the contract: one line, no escape codes, whatever the server sent.
    const found = e.partial?.finding ? e.partial.finding.replace(/[\p{Cc}\p{Cf}]+/gu, ' ') : null;
    // A partial that has found nothing yet keeps the line as it was (within the same stage).
    const fresh = found !== null && found !== finding;
    if (found !== null) finding = found;
    else if (stageChanged) finding = null;
    if (live) return draw();
    if (fresh || stageChanged)
      out.write(
        `[${String(Math.round(e.percent)).padStart(3)}%] ${e.message}${finding ? ` · ${finding}` : ''} · ${formatElapsed(now() - startedAt)}\n`,
      );
  }

  return {
    event(e: ProgressEvent) {
      if (e.kind === 'partial') return partial(e);
      const changed = !last || last.stage !== e.stage || last.percent !== e.percent || last.kind !== e.kind;
      last = e;
      finding = null;
      if (reconnecting && !live) out.write('reconnected\n');
      reconnecting = null;
      const queued = e.queue?.state === 'waiting' && e.status === 'queued' ? e.queue : null;
      if (e.notice) notice = describeNotice(e.notice, now());
      else if (queued) notice = describeQueue(queued, now());
      else if (changed) notice = null;
      if (live) return draw();
      if (changed || e.notice || queued) {
        const detail = e.notice
          ? describeNotice(e.notice, now())
          : queued
            ? describeQueue(queued, now())
            : null;
        const tail = detail && detail !== e.message ? ` (${detail})` : '';
        out.write(
          `[${String(Math.round(e.percent)).padStart(3)}%] ${e.message}${tail} · ${formatElapsed(now() - startedAt)}\n`,
        );
      }
    },
    reconnecting(info: ReconnectInfo) {
      reconnecting = `reconnecting${info.attempt > 1 ? ` (${info.attempt})` : ''}…`;
      if (live) return draw();
      out.write(
        `connection lost; reconnecting (attempt ${info.attempt})${info.error ? `: ${info.error.message}` : ''}\n`,
      );
    },
    connected() {
      if (!reconnecting) return;
      reconnecting = null;
      if (live) draw();
      else out.write('reconnected\n');
    },
    /** Ends the live line (leaves it on screen) so normal output can follow. */
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (live && drawn) {
        out.write(`\r\x1b[2K${line()}\n`);
        drawn = false;
      }
    },
  };
}
