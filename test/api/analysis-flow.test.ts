import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { startServer } from '../support/processes';
import {
  expectEveryStageOnce,
  expectNeverBack,
  expectResumedAfter,
  followUntil,
  withoutSupersededPartials,
} from '../support/progress';
import { startProductStack } from '../support/stack';

let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({ latencyMs: 150 });
});
afterAll(async () => {
  await stack?.stop();
});

async function submitOne(cookie: string) {
  const client = trpcClient(stack.url, cookie);
  const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
  const submitted = await client.analysis.submit.mutate({
    quoteId: quote.quoteId,
    idempotencyKey: crypto.randomUUID(),
  });
  return { client, quote, submitted };
}

describe('one analysis, end to end', () => {
  it('is quoted, submitted, run by the worker process and saved in PostgreSQL', async () => {
    const user = await signUp(stack.url);
    const { client, quote, submitted } = await submitOne(user.cookie);
    expect(quote.credits).toBeGreaterThan(0);
    expect(quote.wordCount).toBeGreaterThan(50);
    expect(submitted.status).toBe('queued');

    const { events, ended } = await followUntil(client, { analysisId: submitted.analysisId });
    expect(ended).toBe('complete');
    expect(events.at(-1)?.event.kind).toBe('completed');

    const analysis = await client.analysis.get.query({ analysisId: submitted.analysisId });
    expect(analysis.status).toBe('completed');
    expect(analysis.memoContent).toMatch(/ASC 606/);
    expect(analysis.finalChargedCredits).toBe(quote.credits);
    // The model and its token usage are recorded with the analysis (the simulated model costs nothing).
    expect(analysis.model).toBe('revmemo-simulated');
    expect(analysis.usage?.promptTokens).toBeGreaterThan(500);
    expect(analysis.usage?.completionTokens).toBeGreaterThan(100);
    expect(analysis.usage?.estimatedCostUsd).toBe(0);
    // The structured answers behind the memo, saved with it, come back from analysis.export.
    const exported = await client.analysis.export.query({ analysisId: submitted.analysisId });
    expect(exported).toMatchObject({ analysisId: submitted.analysisId, status: 'completed' });
    expect(exported.structured?.steps.recognition?.recognition.length).toBeGreaterThan(0);
    expect(exported.structured?.documents[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(exported.structured?.flags).toEqual(expect.any(Array));
    expect(analysis.memoContent).toContain(`prompt version ${exported.structured?.promptVersion}`);

    const rows = await stack.db.execute(
      sql`SELECT status, memo_content, final_charged_credits FROM analyses WHERE analysis_id = ${submitted.analysisId}`,
    );
    expect(rows[0]).toMatchObject({ status: 'completed', final_charged_credits: quote.credits });
    expect(String(rows[0]?.memo_content)).toContain('Step 5');
  });

  it('streams a snapshot, every stage in order, the terminal event, then ends', async () => {
    const user = await signUp(stack.url);
    const { client, submitted } = await submitOne(user.cookie);
    const { events, ended } = await followUntil(client, { analysisId: submitted.analysisId });
    expect(ended).toBe('complete');
    expect(events[0]?.event.kind).toBe('snapshot');
    // From the snapshot on: every later stage once, in order, nothing going back, then the end.
    expectEveryStageOnce(events);
    expectNeverBack(events);
    expect(events.at(-1)?.event).toMatchObject({ kind: 'completed', status: 'completed', percent: 100 });
  });

  it('resumes after a disconnect with the last event id: no stage missed, none repeated', async () => {
    const user = await signUp(stack.url);
    const { client, submitted } = await submitOne(user.cookie);
    const first = await followUntil(client, { analysisId: submitted.analysisId }, (ev) =>
      ev.some((e) => e.event.stage === 'obligations'),
    );
    expect(first.ended, JSON.stringify(first.events)).toBe('hung-up');
    const lastId = first.events.at(-1)?.id as string;
    const second = await followUntil(client, { analysisId: submitted.analysisId, lastEventId: lastId });
    expect(second.ended).toBe('complete');
    expectResumedAfter(first.events, second.events);
    expectEveryStageOnce([...first.events, ...second.events]);
    expect(second.events.at(-1)?.event.kind).toBe('completed');

    // After completion: the final state at once, and the stream ends.
    const late = await followUntil(client, { analysisId: submitted.analysisId, lastEventId: lastId });
    expect(late.ended).toBe('complete');
    // The same replay, from the stream; caught up at once, it skips the partials later events superseded.
    expect(late.events).toEqual(withoutSupersededPartials(second.events));
    expect(late.events.some((e) => e.event.kind === 'partial')).toBe(false);

    const fresh = await followUntil(client, { analysisId: submitted.analysisId });
    expect(fresh.events).toHaveLength(1);
    expect(fresh.events[0]?.event).toMatchObject({ kind: 'completed', stage: 'done', percent: 100 });
  });

  it('resumes on another server process without a gap', async () => {
    const other = await startServer({ ...stack.env, WEBSITE_URL: stack.url });
    try {
      const user = await signUp(stack.url);
      const { client, submitted } = await submitOne(user.cookie);
      const first = await followUntil(client, { analysisId: submitted.analysisId }, (ev) =>
        ev.some((e) => e.event.stage === 'price'),
      );
      const lastId = first.events.at(-1)?.id as string;
      const otherClient = trpcClient(other.url, user.cookie);
      const second = await followUntil(otherClient, {
        analysisId: submitted.analysisId,
        lastEventId: lastId,
      });
      expect(first.ended).toBe('hung-up');
      expectResumedAfter(first.events, second.events);
      expectEveryStageOnce([...first.events, ...second.events]);
      expect(second.events.at(-1)?.event.kind).toBe('completed');
    } finally {
      await other.stop();
    }
  });
});

describe('privacy between users', () => {
  it("hides one user's analysis from another: get, list, cancel and subscribe say NOT_FOUND", async () => {
    const alice = await signUp(stack.url);
    const bob = await signUp(stack.url);
    const { submitted } = await submitOne(alice.cookie);
    const asBob = trpcClient(stack.url, bob.cookie);
    await expect(asBob.analysis.get.query({ analysisId: submitted.analysisId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(asBob.analysis.export.query({ analysisId: submitted.analysisId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(asBob.analysis.cancel.mutate({ analysisId: submitted.analysisId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const list = await asBob.analysis.list.query({});
    expect(list.items.map((a) => a.analysisId)).not.toContain(submitted.analysisId);
    await expect(followUntil(asBob, { analysisId: submitted.analysisId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const asAlice = trpcClient(stack.url, alice.cookie);
    const aliceList = await asAlice.analysis.list.query({});
    expect(aliceList.items.map((a) => a.analysisId)).toContain(submitted.analysisId);
  });

  it('answers UNAUTHORIZED to anonymous calls', async () => {
    const anon = trpcClient(stack.url);
    await expect(anon.analysis.list.query({})).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await expect(anon.credits.balance.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });
});
