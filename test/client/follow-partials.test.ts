import { createRevmemoClient, type FollowedProgress, isPartialEvent } from '@revmemo/client';
import { type ProgressEvent, type StageId, stageInfo } from '@revmemo/contracts';
import { createProgressPublisher, createRedisConnection, type ProgressPublisher } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { repoRoot } from '../support/processes';
import { startProductStack } from '../support/stack';
import { waitUntil } from '../support/wait';
import { compareStreamIds, createApiKey, start } from './support';

// No worker: the analyses stay queued and this file publishes their progress itself, through the
// worker's own publisher into the real Redis stream, read by the real server's hub and SSE route.
let stack: Awaited<ReturnType<typeof startProductStack>>;
let connection: Redis;
let publisher: ProgressPublisher;

beforeAll(async () => {
  stack = await startProductStack({ workers: 0 });
  connection = createRedisConnection(stack.env.REDIS_URL ?? '');
  publisher = createProgressPublisher({ connection, prefix: stack.env.QUEUE_PREFIX ?? '' });
});
afterAll(async () => {
  connection?.disconnect();
  await stack?.stop();
});

async function queuedAnalysis() {
  const user = await signUp(stack.url);
  const apiKey = await createApiKey(stack.url, user.cookie);
  const sdk = createRevmemoClient({ baseUrl: stack.url, apiKey });
  const { analysisId } = await sdk.submit((await sdk.quoteText(SMALL_CONTRACT)).quoteId);
  return { sdk, analysisId, env: { REVMEMO_URL: stack.url, REVMEMO_API_KEY: apiKey } };
}

const next: Partial<Record<StageId, StageId>> = { contract: 'obligations', obligations: 'price' };

/** A step as a streaming worker publishes it: the stage event, then partials with their findings. */
function stepEvents(analysisId: string, stage: 'contract' | 'obligations', findings: (string | null)[]) {
  const from = stageInfo(stage).percent;
  const to = stageInfo(next[stage] ?? 'done').percent;
  const base = { analysisId, status: 'running', stage, message: stageInfo(stage).label } as const;
  return [
    { ...base, kind: 'progress', percent: from, at: new Date().toISOString() },
    ...findings.map((finding, i): ProgressEvent => {
      const share = (i + 1) / (findings.length + 1);
      return {
        ...base,
        kind: 'partial',
        percent: Math.round((from + share * (to - from)) * 10) / 10,
        at: new Date().toISOString(),
        partial: { share, finding },
      };
    }),
  ] satisfies ProgressEvent[];
}

const completed = (analysisId: string): ProgressEvent => ({
  analysisId,
  status: 'completed',
  kind: 'completed',
  stage: 'done',
  percent: 100,
  message: 'Done',
  at: new Date().toISOString(),
});

async function publishAll(events: ProgressEvent[]) {
  const out: FollowedProgress[] = [];
  for (const event of events) out.push({ id: await publisher.publish(event), event });
  return out;
}

async function collect(iter: AsyncGenerator<FollowedProgress>, into: FollowedProgress[]) {
  for await (const p of iter) into.push(p);
}

const obligationsFound = (n: number) => `${n} performance obligation${n === 1 ? '' : 's'} identified so far`;

describe('follow() and partial events over the real SSE stream', () => {
  it('passes partial events through in order with their share and finding, percent never decreasing; partials: false leaves them out', async () => {
    const { sdk, analysisId } = await queuedAnalysis();
    const all: FollowedProgress[] = [];
    const stagesOnly: FollowedProgress[] = [];
    const told: string[] = [];
    const following = Promise.all([
      collect(sdk.follow(analysisId), all),
      collect(sdk.follow(analysisId, { partials: false }), stagesOnly),
      sdk.waitForResult(analysisId, { partials: false, onProgress: (e) => told.push(e.kind) }),
    ]);
    await waitUntil(() => all.length > 0 && stagesOnly.length > 0 && told.length > 0, 'three snapshots');

    const published = await publishAll([
      ...stepEvents(analysisId, 'contract', [null, 'contract identified: 1 agreement', null]),
      ...stepEvents(analysisId, 'obligations', [null, obligationsFound(1), obligationsFound(2)]),
      completed(analysisId),
    ]);
    await following;

    expect(all[0]?.event.kind).toBe('snapshot');
    expect(all.slice(1)).toEqual(published);
    const partials = all.map((p) => p.event).filter(isPartialEvent);
    expect(partials).toHaveLength(6);
    expect(partials.map((e) => e.partial.finding)).toEqual([
      null,
      'contract identified: 1 agreement',
      null,
      null,
      obligationsFound(1),
      obligationsFound(2),
    ]);
    const percents = all.map((p) => p.event.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(partials.map((e) => e.percent)).size).toBe(6); // the bar moves within each stage

    expect(stagesOnly[0]?.event.kind).toBe('snapshot');
    expect(stagesOnly.slice(1)).toEqual(published.filter((p) => p.event.kind !== 'partial'));
    expect(told).toEqual(['snapshot', 'progress', 'progress', 'completed']);
  });

  it('resumes from a partial event: no repeat, every stage event after it, partials only from after it', async () => {
    const { sdk, analysisId } = await queuedAnalysis();
    const published = await publishAll([
      ...stepEvents(analysisId, 'contract', [null, 'contract identified: 1 agreement']),
      ...stepEvents(analysisId, 'obligations', [null, obligationsFound(1), obligationsFound(2), null]),
      completed(analysisId),
    ]);
    const from = published[2] as FollowedProgress; // the contract step's second partial
    expect(from.event.kind).toBe('partial');

    const resumed: FollowedProgress[] = [];
    await collect(sdk.follow(analysisId, { lastEventId: from.id }), resumed);
    const after = published.filter((p) => compareStreamIds(p.id, from.id) > 0);
    const ids = resumed.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort(compareStreamIds)).toEqual(ids);
    // Partials are safe to miss (a backfill may send only the latest), so only these are required.
    expect(resumed.filter((p) => p.event.kind !== 'partial')).toEqual(
      after.filter((p) => p.event.kind !== 'partial'),
    );
    for (const p of resumed) expect(after).toContainEqual(p);
    expect(resumed.at(-1)?.event.kind).toBe('completed');
  });

  it('a watcher resuming mid-step catches up with the latest partial only, then goes on live', async () => {
    const { sdk, analysisId } = await queuedAnalysis();
    const missed = await publishAll(stepEvents(analysisId, 'contract', [null, 'contract identified', null]));
    const from = missed[0] as FollowedProgress; // the stage event: three partials missed since
    const resumed: FollowedProgress[] = [];
    const following = collect(sdk.follow(analysisId, { lastEventId: from.id }), resumed);
    await waitUntil(() => resumed.length > 0, 'the catch-up');
    const live = await publishAll([...stepEvents(analysisId, 'obligations', []), completed(analysisId)]);
    await following;
    expect(resumed).toEqual([missed.at(-1), ...live]);
  });
});

describe('the revmemo bar with partial events', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    start('node', ['--import', 'tsx', 'packages/client/src/cli.ts', ...args], { cwd: repoRoot, env });
  /** Forty partial events (ten seconds of a step at four a second), with three findings among them. */
  const findings = Array.from({ length: 40 }, (_, i) =>
    i < 4 ? null : obligationsFound(1 + Math.floor(i / 14)),
  );

  it('prints a line per new finding in a pipe, not one per event, and follows to the end', async () => {
    const { sdk, analysisId, env } = await queuedAnalysis();
    const watch = cli(['watch', analysisId], env);
    await watch.waitForOutput(/\[\s*0%\] /); // attached: the snapshot's line
    await publishAll([
      ...stepEvents(analysisId, 'contract', []),
      ...stepEvents(analysisId, 'obligations', findings),
    ]);
    await watch.waitForOutput(/3 performance obligations identified so far/);
    await sdk.cancel(analysisId); // the end, through the server itself (Postgres, then the event)
    const { code, stdout, stderr } = await watch.done;
    expect(stderr).toContain('The analysis canceled');
    expect(code).toBe(1);
    const lines = stdout.split('\n').filter((l) => /^\[\s*\d+%\] /.test(l));
    const step2 = lines.filter((l) => l.includes('Step 2'));
    expect(step2.map((l) => l.replace(/ · \d+:\d\d$/, ''))).toEqual([
      '[ 25%] Step 2: Performance obligations',
      `[ 27%] Step 2: Performance obligations · ${obligationsFound(1)}`,
      `[ 31%] Step 2: Performance obligations · ${obligationsFound(2)}`,
      `[ 37%] Step 2: Performance obligations · ${obligationsFound(3)}`,
    ]);
    expect(lines.length).toBeLessThan(10); // 2 stage events + 40 partials + the end: not a line each
  });

  it('on a terminal, redraws the bar within the stage with the latest finding on the line', async () => {
    const { sdk, analysisId, env } = await queuedAnalysis();
    const command = ['node', '--import', 'tsx', 'packages/client/src/cli.ts', 'watch', analysisId]
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = start('script', ['-qfec', command, '/dev/null'], {
      cwd: repoRoot,
      env: { ...env, TERM: 'xterm' },
    });
    await tty.waitForOutput(/ 0% · (?!connecting)/); // attached: the snapshot drawn
    await publishAll(stepEvents(analysisId, 'obligations', findings));
    await tty.waitForOutput(/3 performance obligations/);
    await sdk.cancel(analysisId);
    const { stdout } = await tty.done;
    const draws = stdout.split('\r\x1b[2K').filter((d) => d.includes('Step 2'));
    const percents = draws.map((d) => Number(/ (\d+)% /.exec(d)?.[1]));
    expect(new Set(percents).size).toBeGreaterThan(5); // the bar moved within the stage
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // The pseudo-terminal is 80 columns: the finding is shortened to fit, the elapsed time kept.
    expect(draws.some((d) => /· 2 performance obligations.* · \d+:\d\d/.test(d))).toBe(true);
    expect(stdout.split('\n').filter((l) => l.includes('Step 2')).length).toBeLessThanOrEqual(2);
  });
});
