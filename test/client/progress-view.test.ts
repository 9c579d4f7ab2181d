import type { ProgressEvent } from '@revmemo/client';
import { describe, expect, it } from 'vitest';
import { createProgressView } from '../../packages/client/src/cli/progress';

const at = '2026-01-01T00:00:00.000Z';
const event = (over: Partial<ProgressEvent>): ProgressEvent => ({
  analysisId: '00000000-0000-4000-8000-000000000001',
  status: 'running',
  kind: 'progress',
  stage: 'contract',
  percent: 10,
  message: 'Step 1: Identify the contract',
  at,
  ...over,
});

/** A terminal-like sink: what was written, in order. */
function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 120, write: (s: string) => writes.push(s) } };
}

describe('the progress view surfaces notices and reconnects', () => {
  const now = () => Date.parse(at);

  it('prints retry and resume notices as plain lines off a terminal', () => {
    const { writes, out } = sink(false);
    const view = createProgressView(out, now(), now);
    view.event(event({ kind: 'snapshot' }));
    view.event(
      event({
        notice: {
          type: 'retrying',
          stage: 'contract',
          attempt: 2,
          maxAttempts: 3,
          retryAt: '2026-01-01T00:00:05.000Z',
        },
      }),
    );
    view.reconnecting({ attempt: 1, lastEventId: '1-0', error: null });
    view.event(
      event({
        stage: 'obligations',
        percent: 25,
        message: 'Step 2',
        notice: { type: 'resumed', stage: 'obligations' },
      }),
    );
    view.stop();
    expect(writes.join('')).toBe(
      [
        '[ 10%] Step 1: Identify the contract · 0:00',
        '[ 10%] Step 1: Identify the contract (retrying contract (attempt 2 of 3) in 5s) · 0:00',
        'connection lost; reconnecting (attempt 1)',
        'reconnected',
        '[ 25%] Step 2 (resumed at obligations; finished steps are kept) · 0:00',
        '',
      ].join('\n'),
    );
  });

  it('redraws one line on a terminal with the notice and the reconnecting indicator', () => {
    const { writes, out } = sink(true);
    const view = createProgressView(out, now(), now);
    view.event(event({}));
    view.event(event({ notice: { type: 'resumed', stage: 'contract' } }));
    view.reconnecting({ attempt: 2, lastEventId: '1-0', error: null });
    view.stop();
    expect(writes.every((w) => w.startsWith('\r\u001b[2K'))).toBe(true);
    expect(writes.slice(0, -1).every((w) => !w.includes('\n'))).toBe(true);
    expect(writes[1]).toContain('resumed at contract');
    expect(writes[2]).toContain('reconnecting (2)…');
    expect(writes.at(-1)?.endsWith('\n')).toBe(true);
  });
});

describe('the progress view shows progress within a step', () => {
  const now = () => Date.parse(at);
  const partial = (percent: number, share: number, finding: string | null): ProgressEvent =>
    event({ kind: 'partial', stage: 'obligations', message: 'Step 2', percent, partial: { share, finding } });
  /** A step as the server streams it: 40 partial events (ten seconds at 4 a second), three findings. */
  const step: ProgressEvent[] = Array.from({ length: 40 }, (_, i) => {
    const share = (i + 1) / 40;
    const found = i < 5 ? null : `${1 + Math.floor((i - 5) / 12)} performance obligations identified so far`;
    return partial(Math.round((25 + share * 17) * 10) / 10, share, found);
  });

  it('moves the bar within the stage and puts the latest finding on the line, on a terminal', () => {
    const { writes, out } = sink(true);
    const view = createProgressView(out, now(), now);
    view.event(event({ stage: 'obligations', percent: 25, message: 'Step 2' }));
    for (const e of step) view.event(e);
    view.event(event({ stage: 'price', percent: 42, message: 'Step 3' }));
    view.stop();
    const bars = writes.map((w) => w.replace('\r\u001b[2K', '').split(' ')[0] ?? '');
    // One redraw per event; the bar grows within the stage (eighths of a cell), never shrinks.
    expect(writes).toHaveLength(1 + step.length + 1 + 1);
    const filled = bars.map((b) => [...b].filter((c) => c !== '░').length);
    expect(new Set(filled.slice(0, 1 + step.length)).size).toBeGreaterThan(3);
    expect(filled).toEqual([...filled].sort((a, b) => a - b));
    expect(writes[3]).not.toContain('identified');
    expect(writes[10]).toContain('Step 2 · 1 performance obligations identified so far · 0:00');
    expect(writes[step.length]).toContain('3 performance obligations identified so far');
    expect(writes[step.length]).toMatch(/ 42%/); // the last partial stands at the next stage's start
    // The next stage starts with a clean line: the finding belonged to the step before.
    expect(writes[step.length + 1]).toContain('Step 3 · 0:00');
    expect(writes[step.length + 1]).not.toContain('identified');
  });

  it('prints a plain line per new finding off a terminal, not one per event', () => {
    const { writes, out } = sink(false);
    const view = createProgressView(out, now(), now);
    view.event(event({ stage: 'obligations', percent: 25, message: 'Step 2' }));
    for (const e of step) view.event(e);
    // A partial that has found nothing yet, or the same thing again, adds no line.
    view.event(partial(41.9, 0.99, null));
    view.event(event({ stage: 'price', percent: 42, message: 'Step 3' }));
    view.stop();
    expect(writes.join('')).toBe(
      [
        '[ 25%] Step 2 · 0:00',
        '[ 28%] Step 2 · 1 performance obligations identified so far · 0:00',
        '[ 33%] Step 2 · 2 performance obligations identified so far · 0:00',
        '[ 38%] Step 2 · 3 performance obligations identified so far · 0:00',
        '[ 42%] Step 3 · 0:00',
        '',
      ].join('\n'),
    );
  });

  it('a retry notice replaces the finding; the new attempt shows its own', () => {
    const { writes, out } = sink(true);
    const view = createProgressView(out, now(), now);
    view.event(partial(30, 0.3, '2 performance obligations identified so far'));
    const retry = {
      type: 'retrying',
      stage: 'obligations',
      attempt: 2,
      maxAttempts: 3,
      retryAt: '2026-01-01T00:00:05.000Z',
    } as const;
    view.event(event({ stage: 'obligations', percent: 30, message: 'Step 2', notice: retry }));
    view.event(partial(30, 0.05, null));
    view.event(partial(30.2, 0.1, '1 performance obligation identified so far'));
    view.stop();
    expect(writes[1]).toContain('retrying obligations (attempt 2 of 3)');
    expect(writes[1]).not.toContain('identified');
    expect(writes[2]).not.toContain('retrying'); // the model is writing again
    expect(writes[3]).toContain('· 1 performance obligation identified so far ·');
  });
});

describe('the progress line on a narrow terminal', () => {
  it('shortens the stage name, then the finding, and keeps the elapsed time', () => {
    const writes: string[] = [];
    const view = createProgressView(
      { isTTY: true, columns: 80, write: (s) => writes.push(s) },
      0,
      () => 65_000,
    );
    view.event(
      event({
        kind: 'partial',
        stage: 'obligations',
        percent: 31.5,
        message: 'Step 2: Performance obligations',
        partial: { share: 0.38, finding: '2 performance obligations identified so far' },
      }),
    );
    const drawn = (writes[0] ?? '').replace('\r\u001b[2K', '');
    expect(drawn.length).toBeLessThan(80);
    expect(drawn).toMatch(/^\S+ {2}32% · Step 2 · 2 performance obligations identi\S*… · /);
    expect(drawn.endsWith(' · 1:05')).toBe(true);
    view.stop();
  });
});
