import { type PipelineStage, type ProgressEvent, STAGES, stageIndex, stageInfo } from '@revmemo/contracts';
import { listSteps } from '@revmemo/db';
import { analysisStreamKey, compareStreamIds, createRedisConnection } from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { chargesFor, expectLedgerHealthy } from '../support/ledger';
import {
  expectEveryStageOnce,
  expectNeverBack,
  expectResumedAfter,
  followUntil,
  type Received,
} from '../support/progress';
import { startProductStack } from '../support/stack';
import { until } from '../support/wait';

/**
 * Progress within a step through the whole product (docs/progress-transport.md, "Progress within a
 * step"): the simulated model streams each answer over about 1.5 s, the worker process turns the
 * chunks into partial events (at most PROGRESS_PARTIALS_PER_SECOND, 4 by default), and watchers
 * follow them over the server's SSE route with the real @trpc/client.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let redis: Redis;
const STEP_STAGES = ['contract', 'obligations', 'price', 'allocation', 'recognition'] as const;
const PACE = { streamMs: 1_500, streamChunks: 300 };

beforeAll(async () => {
  stack = await startProductStack();
  redis = createRedisConnection(stack.env.REDIS_URL as string);
}, 120_000);
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});
beforeEach(async () => {
  await stack.sim.reset();
  await stack.sim.configure(PACE);
});

async function submitOne() {
  const user = await signUp(stack.url);
  const client = trpcClient(stack.url, user.cookie);
  const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
  const submitted = await client.analysis.submit.mutate({
    quoteId: quote.quoteId,
    idempotencyKey: crypto.randomUUID(),
  });
  return { client, quote, ...submitted };
}

/** What was published for the analysis after `afterId`, read straight from its own Redis stream, not through the server. */
async function publishedAfter(analysisId: string, afterId: string): Promise<Received[]> {
  const key = analysisStreamKey(stack.env.QUEUE_PREFIX as string, analysisId);
  const entries = await redis.xrange(key, `(${afterId}`, '+');
  return entries.map(([id, fields]) => {
    const at = fields.indexOf('payload');
    return { id, event: JSON.parse(fields[at + 1] as string) as ProgressEvent };
  });
}

const isPartial = (e: Received) => e.event.kind === 'partial';
const nextStagePercent = (stage: PipelineStage) => STAGES[stageIndex(stage) + 1]?.percent ?? 100;
const show = (events: Received[]) =>
  events.map((e) => `${e.id} ${e.event.kind}/${e.event.stage}/${e.event.percent}`).join('\n');

/** Each partial is inside the range of the stage announced last: from its percent, below the next stage's. */
function expectPartialsInsideTheirStage(events: Received[]) {
  let current: Received | undefined;
  for (const e of events) {
    if (e.event.kind !== 'partial') {
      current = e;
      continue;
    }
    const where = `${e.id} ${e.event.stage}/${e.event.percent} after ${current?.event.kind}/${current?.event.stage}`;
    expect(e.event.stage, where).toBe(current?.event.stage);
    expect(STEP_STAGES as readonly string[], where).toContain(e.event.stage);
    const stage = e.event.stage as PipelineStage;
    expect(e.event.percent, where).toBeGreaterThanOrEqual(stageInfo(stage).percent);
    expect(e.event.percent, where).toBeLessThan(nextStagePercent(stage));
    expect(e.event.partial?.share, where).toBeGreaterThanOrEqual(0);
    expect(e.event.partial?.share, where).toBeLessThan(1);
  }
}

/**
 * What a watcher resuming at `lastEventId` gets, given everything published after it (`published`):
 * the events up to some point `cut` (the stream's tip when the watcher caught up), of whose partials
 * only one at the very end is kept, then every event after `cut` as it came. Returns `cut`, or -1 when the
 * received events fit no such point.
 */
function catchUpPoint(published: Received[], received: Received[]): number {
  const ids = (xs: Received[]) => xs.map((e) => e.id).join(' ');
  // From the end: when the event right after the tip is a partial, both points fit; take the later.
  for (let cut = published.length; cut >= 0; cut--) {
    const caughtUp = published.slice(0, cut).filter((e, i) => i === cut - 1 || !isPartial(e));
    if (ids([...caughtUp, ...published.slice(cut)]) === ids(received)) return cut;
  }
  return -1;
}

describe('progress within a step, through the server and the worker process', () => {
  it('a watcher sees partial events between the stage events, in order, inside their stage, in words', async () => {
    const { client, analysisId } = await submitOne();
    const { events, ended } = await followUntil(client, { analysisId }, () => false, 90_000);
    expect(ended).toBe('complete');
    expect(events.at(-1)?.event).toMatchObject({ kind: 'completed', percent: 100 });
    // Ids strictly increase, no stage and no percent goes back, every stage once.
    expectNeverBack(events);
    expectEveryStageOnce(events);
    expectPartialsInsideTheirStage(events);

    // Every step streamed: partial events between its stage event and the next one.
    for (const stage of STEP_STAGES) {
      const from = events.findIndex((e) => e.event.kind === 'progress' && e.event.stage === stage);
      const to = events.findIndex(
        (e, i) => i > from && e.event.kind !== 'partial' && e.event.stage !== stage,
      );
      const between = events.slice(from + 1, to).filter(isPartial);
      expect(from, `${stage}'s stage event\n${show(events)}`).toBeGreaterThan(0);
      expect(between.length, `${stage}'s partials\n${show(events)}`).toBeGreaterThan(0);
      // A partial keeps the stage's message under the bar; the finding goes beside it.
      for (const p of between) expect(p.event.message).toBe(events[from]?.event.message);
    }
    expect(events.filter(isPartial).every((e) => STEP_STAGES.includes(e.event.stage as never))).toBe(true);

    // What has been found so far, in words a person reads.
    const findings = events.flatMap((e) => (e.event.partial?.finding ? [e.event.partial.finding] : []));
    expect(
      findings.some((f) => /Parties: /.test(f)),
      findings.join('\n'),
    ).toBe(true);
    expect(
      findings.some((f) => /performance obligations? identified/.test(f)),
      findings.join('\n'),
    ).toBe(true);
  }, 120_000);

  it('a watcher that disconnects mid-step resumes with the stage events it missed and only the latest partial', async () => {
    const { client, analysisId } = await submitOne();
    // Hang up once step 2 has started streaming.
    const first = await followUntil(client, { analysisId }, (ev) =>
      ev.some((e) => isPartial(e) && e.event.stage === 'obligations'),
    );
    expect(first.ended).toBe('hung-up');
    const lastSeen = first.events.at(-1) as Received;
    expect(lastSeen.event).toMatchObject({ kind: 'partial', stage: 'obligations' });

    // While away: more of step 2, then step 3 begins and streams. Known from Redis, not the server.
    const missed = await until(
      () => publishedAfter(analysisId, lastSeen.id),
      (m) => {
        const price = m.findIndex((e) => e.event.kind === 'progress' && e.event.stage === 'price');
        return (
          price > 0 &&
          m.slice(0, price).some((e) => isPartial(e) && e.event.stage === 'obligations') &&
          m.slice(price + 1).some((e) => isPartial(e) && e.event.stage === 'price')
        );
      },
      'more of step 2, then step 3 streaming, published while the watcher is away',
    );

    const second = await followUntil(client, { analysisId, lastEventId: lastSeen.id }, () => false, 90_000);
    expect(second.ended).toBe('complete');
    const published = await publishedAfter(analysisId, lastSeen.id);
    expect(published.at(-1)?.event.kind).toBe('completed');

    // The resumed stream: the events up to the tip when it caught up, with only the last partial
    // kept, then every event live. The tip was at least as far as what we knew was missed.
    const cut = catchUpPoint(published, second.events);
    const context = `published after ${lastSeen.id}:\n${show(published)}\nreceived:\n${show(second.events)}`;
    expect(cut, context).toBeGreaterThanOrEqual(missed.length);
    const caughtUp = second.events.filter(
      (e) => compareStreamIds(e.id, published[cut - 1]?.id ?? '0-0') <= 0,
    );
    // Every stage event missed arrives, in order; of the partials, only the latest one.
    const missedStageEvents = missed.filter((e) => !isPartial(e));
    expect(missedStageEvents.map((e) => e.event.stage)).toContain('price');
    expect(caughtUp.slice(0, missedStageEvents.length), context).toEqual(missedStageEvents);
    const caughtUpPartials = caughtUp.filter(isPartial);
    expect(caughtUpPartials.length, context).toBeLessThanOrEqual(1);
    if (cut === missed.length) expect(caughtUpPartials, context).toEqual([missed.at(-1)]);
    for (const p of missed.filter(isPartial).slice(0, -1))
      expect(
        second.events.map((e) => e.id),
        context,
      ).not.toContain(p.id);
    // The received events are the published ones, unchanged.
    const byId = new Map(published.map((e) => [e.id, e.event]));
    for (const e of second.events) expect(e.event).toEqual(byId.get(e.id));
    // Then live: the later steps' partials arrive as they are published.
    expect(published.slice(cut).filter(isPartial).length, context).toBeGreaterThan(0);

    // Across both connections: no id repeats, no stage missing, the percent never goes back.
    expectResumedAfter(first.events, second.events);
    expectEveryStageOnce([...first.events, ...second.events]);
    expectPartialsInsideTheirStage([...first.events, ...second.events]);
    expect(second.events.at(-1)?.event.kind).toBe('completed');
  }, 120_000);

  it('a cancel mid-step ends the stream and hangs up on the model: no partial follows canceled, the rest of the answer is not paid for', async () => {
    // The step would stream for 4 s more after the cancel lands. The worker's next partial publish
    // is refused (the ended marker), so no partial follows the terminal event, and the run aborts
    // its model request there instead of reading (and paying for) the rest of the answer.
    await stack.sim.configure({ streamMs: 4_000, streamChunks: 400 });
    const { client, analysisId } = await submitOne();
    await until(
      () => publishedAfter(analysisId, '0-0'),
      (events) => events.some((e) => isPartial(e) && e.event.stage === 'contract'),
      'a partial of step 1',
    );
    await client.analysis.cancel.mutate({ analysisId });
    const canceledAt = await until(
      async () => (await publishedAfter(analysisId, '0-0')).find((e) => e.event.kind === 'canceled'),
      (found) => found !== undefined,
      'the canceled event',
    );
    // Step 1's request ends one way or the other: hung up on by the worker, or answered in full.
    const [step1] = await until(
      async () => (await stack.sim.requests()).filter((r) => r.step?.includes('step1')),
      (calls) => calls.length === 1 && calls[0]?.answeredAt !== undefined,
      'step 1 request to end',
    );
    expect(step1?.outcome).toBe('client-closed');
    expect(await stack.sim.requests()).toHaveLength(1); // no step after it either
    // Past the end the step's answer would have had (4 s of streaming): nothing more was published.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const after = await publishedAfter(analysisId, (canceledAt as Received).id);
    expect(after.filter(isPartial), show(after)).toEqual([]);
    expect(await chargesFor(stack.db, analysisId)).toHaveLength(0);
  });

  it('a cancel while the model is still working on its first byte hangs up on it as well', async () => {
    // No partial is published before the first byte, so only the run's end watch (the ended marker,
    // checked every second) can notice the cancel; without it the whole answer is waited for.
    await stack.sim.configure({ latencyMs: 8_000, streamMs: 0 });
    const { client, analysisId } = await submitOne();
    await until(
      () => publishedAfter(analysisId, '0-0'),
      (events) => events.some((e) => e.event.kind === 'progress' && e.event.stage === 'contract'),
      'step 1 to start',
    );
    await client.analysis.cancel.mutate({ analysisId });
    const [step1] = await until(
      async () => (await stack.sim.requests()).filter((r) => r.step?.includes('step1')),
      (calls) => calls.length === 1,
      'step 1 request to end',
    );
    expect(step1?.outcome).toBe('client-closed');
    expect(await chargesFor(stack.db, analysisId)).toHaveLength(0);
  });

  it('a stream cut mid-answer is retried: charged once, the saved step is the complete answer, nothing of the cut shown as done', async () => {
    await stack.sim.fail('cut', 1, { step: 'step2' });
    const { client, quote, analysisId, memoUuid } = await submitOne();
    const live: Received[] = [];
    const sub = client.analysis.progress.subscribe(
      { analysisId },
      { onData: (d) => live.push({ id: d.id, event: d.data }) },
    );

    // The draft, sampled from the cut on until step 2 is done.
    const samples: { returnedAt: number; finishedSteps: string[]; markdown: string }[] = [];
    await until(
      async () => (await stack.sim.requests()).some((r) => r.step?.includes('step2') && r.outcome === 'cut'),
      Boolean,
      'step 2 cut mid-answer',
    );
    await until(
      async () => {
        const draft = await client.analysis.draft.query({ analysisId });
        if (draft) samples.push({ returnedAt: Date.now(), ...draft });
        return draft?.finishedSteps ?? [];
      },
      (finished) => finished.includes('obligations'),
      'the draft to show step 2 once it is done',
      60_000,
    );
    const done = await until(
      () => client.analysis.get.query({ analysisId }),
      (a) => a.status === 'completed',
      'the analysis to complete',
      60_000,
    );
    await until(
      () => live.at(-1)?.event.kind,
      (k) => k === 'completed',
      'the completed event',
    );
    sub.unsubscribe();

    // Retried within the step: the cut attempt, then the whole answer.
    const step2 = (await stack.sim.requests()).filter((r) => r.step?.includes('step2'));
    expect(step2.map((r) => r.outcome)).toEqual(['cut', 'ok']);
    const [cutAttempt, complete] = step2;
    expect(cutAttempt?.content?.length).toBeGreaterThan(0);
    expect(complete?.content?.startsWith(cutAttempt?.content ?? '')).toBe(true);
    expect(complete?.content?.length).toBeGreaterThan(cutAttempt?.content?.length ?? 0);

    // The checkpoint holds the complete answer; the memo and the charge are as without a cut.
    const saved = (await listSteps(stack.db, analysisId)).find((s) => s.step === 'obligations');
    expect(saved?.result).toEqual(JSON.parse(complete?.content ?? ''));
    expect(saved?.modelCalls).toBe(2);
    expect(done.memoContent).toMatch(/ASC 606/);
    expect(done.finalChargedCredits).toBe(quote.credits);
    const charges = await chargesFor(stack.db, memoUuid);
    expect(charges).toHaveLength(1);
    expect(charges[0]?.amount).toBe(-quote.credits);
    await expectLedgerHealthy(stack.db);

    // While step 2 was retried (before its complete answer was even sent), the draft showed step 1
    // only: the cut attempt's text never appeared as a finished section.
    const answeredAt = complete?.answeredAt as number;
    const duringRetry = samples.filter((s) => s.returnedAt < answeredAt);
    expect(duringRetry.length).toBeGreaterThan(0);
    for (const s of duringRetry) {
      expect(s.finishedSteps).toEqual(['contract']);
      expect(s.markdown).toMatch(/Pending: this step/);
    }

    // No event claimed step 2 done before its complete answer: step 3 began only after it, and
    // every partial of step 2 (the cut attempt's and the retry's) stays below step 3's percent.
    expectNeverBack(live);
    expectPartialsInsideTheirStage(live);
    const step2Partials = live.filter((e) => isPartial(e) && e.event.stage === 'obligations');
    expect(step2Partials.length).toBeGreaterThan(0);
    for (const p of step2Partials) expect(p.event.partial?.share).toBeLessThan(1);
    // Step 3 began after the retry's answer: between the retry notice and step 3, step 2 streams again.
    const kinds = live.map(
      (e) => `${e.event.kind}/${e.event.stage}${e.event.notice ? `/${e.event.notice.type}` : ''}`,
    );
    const retry = kinds.indexOf('progress/obligations/retrying');
    const step3 = kinds.indexOf('progress/price');
    expect(retry, kinds.join(' ')).toBeGreaterThan(0);
    expect(step3, kinds.join(' ')).toBeGreaterThan(retry);
    expect(
      kinds.slice(retry + 1, step3).every((k) => k === 'partial/obligations'),
      kinds.join(' '),
    ).toBe(true);
    expect(kinds.slice(retry + 1, step3).length, kinds.join(' ')).toBeGreaterThan(0);
    expectEveryStageOnce(live.filter((e) => !e.event.notice));
    expect(live.at(-1)?.event.kind).toBe('completed');
  }, 120_000);
});
