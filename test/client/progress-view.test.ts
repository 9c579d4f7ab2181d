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
