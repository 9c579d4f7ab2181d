import { startRedis } from '@revmemo/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { type CutProxy, startCutProxy } from '../support/cut-proxy';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { expectSimulatedMemo } from '../support/memo';
import { expectEveryStageOnce, expectResumedAfter, followUntil } from '../support/progress';
import { startProductStack } from '../support/stack';
import { until, waitUntil } from '../support/wait';

/**
 * Redis becomes unreachable mid-analysis (every connection cut, new ones refused), then comes back
 * with its data. The product runs on a redis-server of this file's own, behind a proxy that makes the
 * outage: the shared server of the run is never touched.
 */
let redis: Awaited<ReturnType<typeof startRedis>>;
let proxy: CutProxy;
let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  redis = await startRedis({});
  proxy = await startCutProxy();
  proxy.forwardTo(redis.url.replace(/^redis:/, 'http:'));
  stack = await startProductStack({ latencyMs: 700, redisUrl: proxy.url.replace(/^http:/, 'redis:') });
});
afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  await redis?.stop();
});

const readyChecks = async () =>
  ((await (await fetch(`${stack.url}/readyz`)).json()) as { checks: Record<string, boolean> }).checks;

describe('a Redis outage mid-analysis', () => {
  it('the analysis finishes once Redis is back: one charge, and progress resumes after the last id seen', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
    const { analysisId, memoUuid } = await client.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });
    const first = await followUntil(client, { analysisId }, (ev) =>
      ev.some((e) => e.event.stage === 'contract'),
    );
    expect(first.ended).toBe('hung-up');

    const worker = stack.workers[0];
    if (!worker) throw new Error('no worker');
    const printed = worker.output().length;
    proxy.block();
    expect(proxy.cut(/(?:)/)).toBeGreaterThan(0);
    expect((await client.analysis.get.query({ analysisId })).status).toBe('running');
    await until(readyChecks, (c) => c.redis === false, 'the web process to report Redis down');
    await waitUntil(
      // One structured line per outage (packages/queue/src/health.ts), not one per failed command.
      () => /"redis_state":"unreachable"/.test(worker.output().slice(printed)),
      'the worker to notice Redis is gone',
    );
    proxy.unblock();
    await until(readyChecks, (c) => c.redis === true, 'the web process to reconnect to Redis');

    const rest = await followUntil(
      client,
      { analysisId, lastEventId: first.events.at(-1)?.id as string },
      () => false,
      90_000,
    );
    expect(rest.ended).toBe('complete');
    expect(rest.events.at(-1)?.event.kind).toBe('completed');
    expectResumedAfter(first.events, rest.events);
    expectEveryStageOnce([...first.events, ...rest.events]);

    const a = await client.analysis.get.query({ analysisId });
    expect(a).toMatchObject({ status: 'completed', finalChargedCredits: quote.credits });
    expectSimulatedMemo(a.memoContent);
    expect((await chargesFor(stack.db, memoUuid)).map((c) => c.amount)).toEqual([-quote.credits]);
    expect(await holdOf(stack.db, memoUuid)).toMatchObject({ status: 'captured' });
    expect(await client.credits.balance.query()).toEqual({
      balance: 100 - quote.credits,
      held: 0,
      available: 100 - quote.credits,
    });
    await expectLedgerHealthy(stack.db);
  });
});
