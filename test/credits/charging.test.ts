import { grantCredits } from '@revmemo/db';
import { createAnalysisQueue, createRedisConnection } from '@revmemo/queue';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { redisUrl } from '../support/harness';
import { chargesFor, expectLedgerHealthy, holdOf, userIdByEmail } from '../support/ledger';
import { startServer } from '../support/processes';
import { followUntil } from '../support/progress';
import { startProductStack } from '../support/stack';
import { until, waitUntil } from '../support/wait';

let stack: Awaited<ReturnType<typeof startProductStack>>;
const redis = createRedisConnection(redisUrl());

beforeAll(async () => {
  // Ten starter credits: exactly one small analysis.
  stack = await startProductStack({ latencyMs: 100, extraEnv: { SIGNUP_CREDITS: '10', JOB_ATTEMPTS: '4' } });
});
afterAll(async () => {
  redis.disconnect();
  await stack?.stop();
});
afterEach(async () => {
  await expectLedgerHealthy(stack.db);
});

async function newUser(extraCredits = 0) {
  const user = await signUp(stack.url);
  if (extraCredits > 0) {
    await grantCredits(stack.db, {
      userId: await userIdByEmail(stack.db, user.email),
      amount: extraCredits,
      reason: 'adjustment',
      description: 'test top-up',
    });
  }
  return { ...user, client: trpcClient(stack.url, user.cookie) };
}

async function quote(client: ReturnType<typeof trpcClient>) {
  return client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
}

describe('charging exactly once', () => {
  it('charges the quote once on success and captures the hold', async () => {
    const { client } = await newUser();
    const before = await client.credits.balance.query();
    expect(before).toEqual({ balance: 10, held: 0, available: 10 });
    const q = await quote(client);
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    expect(await client.credits.balance.query()).toEqual({
      balance: 10,
      held: q.credits,
      available: 10 - q.credits,
    });
    await followUntil(client, { analysisId: s.analysisId });
    const charges = await chargesFor(stack.db, s.memoUuid);
    expect(charges).toHaveLength(1);
    expect(charges[0]?.amount).toBe(-q.credits);
    expect((await holdOf(stack.db, s.memoUuid))?.status).toBe('captured');
    expect(await client.credits.balance.query()).toEqual({
      balance: 10 - q.credits,
      held: 0,
      available: 10 - q.credits,
    });
    expect((await client.analysis.get.query({ analysisId: s.analysisId })).finalChargedCredits).toBe(
      q.credits,
    );
  });

  it('charges nothing when the model fails permanently (a 400), and says why', async () => {
    const { client } = await newUser();
    const q = await quote(client);
    await stack.sim.fail('400', 1);
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const { events } = await followUntil(client, { analysisId: s.analysisId });
    expect(events.at(-1)?.event.kind).toBe('failed');
    const a = await client.analysis.get.query({ analysisId: s.analysisId });
    expect(a.status).toBe('failed');
    expect(a.finalChargedCredits).toBe(0);
    expect(a.errorMessage).toBe('The AI model rejected the request for this contract. Nothing was charged.');
    expect(a.memoContent).toBeNull();
    expect(await chargesFor(stack.db, s.memoUuid)).toHaveLength(0);
    expect((await holdOf(stack.db, s.memoUuid))?.status).toBe('released');
    expect(await client.credits.balance.query()).toEqual({ balance: 10, held: 0, available: 10 });
  });

  it('charges nothing when the model keeps answering malformed JSON', async () => {
    const { client } = await newUser();
    const q = await quote(client);
    await stack.sim.fail('malformed', 2); // the answer and its one repair attempt
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const { events } = await followUntil(client, { analysisId: s.analysisId });
    expect(events.at(-1)?.event.kind).toBe('failed');
    expect(await chargesFor(stack.db, s.memoUuid)).toHaveLength(0);
    expect(await client.credits.balance.query()).toEqual({ balance: 10, held: 0, available: 10 });
  });

  it('rides out a rate-limited step (429 twice) inside the step and charges once', async () => {
    const { client } = await newUser();
    const q = await quote(client);
    // One rule, set before submit: two injections in a row would race (the second replaces the first).
    await stack.sim.fail('429', 2, { step: 'step2' });
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const { events } = await followUntil(client, { analysisId: s.analysisId });
    expect(events.at(-1)?.event.kind).toBe('completed');
    expect(await chargesFor(stack.db, s.memoUuid)).toHaveLength(1);
    const rows = await stack.db.execute(
      sql`SELECT attempts, model_calls FROM analyses WHERE analysis_id = ${s.analysisId}`,
    );
    expect(Number(rows[0]?.attempts)).toBe(1); // no job-level retry was needed
    expect(Number(rows[0]?.model_calls)).toBe(7); // both failed requests are part of the cost
  });

  it('turns 20 concurrent submits with one idempotency key into one analysis and one hold', async () => {
    const { client } = await newUser();
    const q = await quote(client);
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.analysis.submit.mutate({ quoteId: q.quoteId, idempotencyKey: key }),
      ),
    );
    expect(new Set(results.map((r) => r.analysisId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const memoUuid = results[0]?.memoUuid as string;
    const holds = await stack.db.execute(
      sql`SELECT count(*)::int AS n FROM credit_holds WHERE memo_uuid = ${memoUuid}`,
    );
    expect(holds[0]?.n).toBe(1);
    // The same key with another quote is a conflict, not a second analysis.
    const other = await quote(client);
    await expect(
      client.analysis.submit.mutate({ quoteId: other.quoteId, idempotencyKey: key }),
    ).rejects.toMatchObject({
      data: { code: 'CONFLICT', appError: { code: 'IDEMPOTENCY_CONFLICT' } },
    });
    await followUntil(client, { analysisId: results[0]?.analysisId as string });
  });

  it('with credit for one analysis, runs one and refuses the other with the shortfall', async () => {
    const { client } = await newUser();
    const [q1, q2] = await Promise.all([quote(client), quote(client)]);
    const settled = await Promise.allSettled([
      client.analysis.submit.mutate({ quoteId: q1.quoteId, idempotencyKey: crypto.randomUUID() }),
      client.analysis.submit.mutate({ quoteId: q2.quoteId, idempotencyKey: crypto.randomUUID() }),
    ]);
    const ok = settled.filter((r) => r.status === 'fulfilled');
    const refused = settled.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      data: {
        code: 'PAYMENT_REQUIRED',
        appError: { code: 'INSUFFICIENT_CREDITS', required: 10, available: 0, shortfall: 10 },
      },
    });
    // Ten credits, ten held by the one that runs (or already charged, were it that quick).
    expect([
      { balance: 10, held: 10, available: 0 },
      { balance: 0, held: 0, available: 0 },
    ]).toContainEqual(await client.credits.balance.query());
    await followUntil(client, {
      analysisId: (ok[0] as PromiseFulfilledResult<{ analysisId: string }>).value.analysisId,
    });
    expect(await client.credits.balance.query()).toEqual({ balance: 0, held: 0, available: 0 });
  });

  it('cancels a running analysis: no charge, hold released, the stream ends canceled', async () => {
    await stack.sim.setLatency(1500); // slow enough to cancel mid-analysis
    onTestFinished(() => stack.sim.setLatency(100));
    const { client } = await newUser();
    const q = await quote(client);
    const s = await client.analysis.submit.mutate({
      quoteId: q.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const watching = followUntil(client, { analysisId: s.analysisId });
    // Running for real: the worker is inside a model call when the user cancels.
    await waitUntil(
      async () =>
        (await client.analysis.get.query({ analysisId: s.analysisId })).progress.stage === 'contract',
      'the worker to be running the analysis (stage contract)',
    );
    await client.analysis.cancel.mutate({ analysisId: s.analysisId });
    const { events } = await watching;
    expect(events.at(-1)?.event.kind).toBe('canceled');
    // The worker reaches its next stage boundary, sees the cancel and ends the job without charging.
    const jobs = createAnalysisQueue({
      connection: redis,
      prefix: stack.env.QUEUE_PREFIX as string,
      eventsMaxLen: 5000,
    });
    try {
      await until(
        () => jobs.getJobState(s.analysisId),
        (state) => state === 'completed' || state === 'failed',
        'the canceled job to end in the worker',
      );
    } finally {
      await jobs.close();
    }
    const a = await client.analysis.get.query({ analysisId: s.analysisId });
    expect(a.status).toBe('canceled');
    expect(a.finalChargedCredits).toBe(0);
    expect(await chargesFor(stack.db, s.memoUuid)).toHaveLength(0);
    expect((await holdOf(stack.db, s.memoUuid))?.status).toBe('released');
    expect(await client.credits.balance.query()).toEqual({ balance: 10, held: 0, available: 10 });
    await expect(client.analysis.cancel.mutate({ analysisId: s.analysisId })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
  });

  it('refuses an expired or foreign quote with a typed error', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const q = await quote(alice.client);
    await expect(
      bob.client.analysis.submit.mutate({ quoteId: q.quoteId, idempotencyKey: crypto.randomUUID() }),
    ).rejects.toMatchObject({
      data: { code: 'NOT_FOUND', appError: { code: 'QUOTE_NOT_FOUND' } },
    });
    await stack.db.execute(
      sql`UPDATE quotes SET expires_at = now() - interval '1 minute' WHERE quote_id = ${q.quoteId}`,
    );
    await expect(
      alice.client.analysis.submit.mutate({ quoteId: q.quoteId, idempotencyKey: crypto.randomUUID() }),
    ).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', appError: { code: 'QUOTE_EXPIRED' } },
    });
  });

  it('charges the confirmed quote even when the price list changed before submit', async () => {
    const { cookie, client } = await newUser();
    const q = await quote(client);
    expect(q.credits).toBe(10);
    // Another server process, started with new prices, takes the submit.
    const repriced = await startServer({ ...stack.env, PRICING_TIERS: '[{"maxWords":60000,"credits":3}]' });
    try {
      const elsewhere = trpcClient(repriced.url, cookie);
      expect((await elsewhere.analysis.quote.mutate({ text: SMALL_CONTRACT })).credits).toBe(3);
      const s = await elsewhere.analysis.submit.mutate({
        quoteId: q.quoteId,
        idempotencyKey: crypto.randomUUID(),
      });
      await followUntil(elsewhere, { analysisId: s.analysisId });
      const charges = await chargesFor(stack.db, s.memoUuid);
      expect(charges.map((c) => c.amount)).toEqual([-10]);
    } finally {
      await repriced.stop();
    }
  });

  it('refuses a contract over the token budget at quote time: no model call, no charge', async () => {
    const { cookie, client } = await newUser();
    const statsBefore = (await stack.sim.stats()).calls;
    const tight = await startServer({ ...stack.env, MODEL_MAX_CONTEXT_TOKENS: '100' });
    try {
      const small = trpcClient(tight.url, cookie);
      await expect(small.analysis.quote.mutate({ text: SMALL_CONTRACT })).rejects.toMatchObject({
        data: { code: 'BAD_REQUEST', appError: { code: 'CONTRACT_TOO_LONG', maxTokens: 100 } },
      });
    } finally {
      await tight.stop();
    }
    expect(statsBefore).toEqual(expect.any(Number));
    expect((await stack.sim.stats()).calls).toBe(statsBefore);
    expect(await client.credits.balance.query()).toEqual({ balance: 10, held: 0, available: 10 });
  });

  it('says purchases are off when Stripe is not configured', async () => {
    const { client } = await newUser();
    await expect(client.credits.checkout.mutate({ pack: 'starter' })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED', appError: { code: 'PURCHASES_DISABLED' } },
    });
  });
});
