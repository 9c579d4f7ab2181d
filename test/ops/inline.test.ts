import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { startServer } from '../support/processes';
import { expectNeverBack, followUntil } from '../support/progress';
import { startProductStack } from '../support/stack';
import { waitUntil } from '../support/wait';
import { analyseOnce } from './support';

let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({ workers: 0, extraEnv: { ANALYSIS_EXECUTION: 'inline' } });
});
afterAll(async () => {
  await expectLedgerHealthy(stack.db);
  await stack?.stop();
});

async function submit(baseUrl: string, cookie: string) {
  const client = trpcClient(baseUrl, cookie);
  const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
  const submitted = await client.analysis.submit.mutate({
    quoteId: quote.quoteId,
    idempotencyKey: crypto.randomUUID(),
  });
  return { client, quote, submitted };
}

describe('ANALYSIS_EXECUTION=inline (the rollback switch)', () => {
  it('runs an analysis inside the web process, with no worker process, and charges it once', async () => {
    expect(stack.workers).toHaveLength(0);
    expect(stack.server.output()).toMatch(/ANALYSIS_EXECUTION=inline: analyses run inside this web process/);
    const user = await signUp(stack.url);
    const { analysis, quote } = await analyseOnce(stack.url, user.cookie);
    expect(analysis).toMatchObject({ status: 'completed', finalChargedCredits: quote.credits });
    expect(await chargesFor(stack.db, analysis.memoUuid)).toHaveLength(1);
    // The web process's own heartbeat makes it ready: it is the worker now.
    const ready = await fetch(`${stack.url}/readyz`);
    expect(await ready.json()).toMatchObject({ checks: { workers: true } });
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/^revmemo_charges_total 1$/m);
  });

  it('fails a permanent model error inside the web process: released, nothing charged, said why', async () => {
    const user = await signUp(stack.url);
    await stack.sim.fail('400', 1);
    const { client, submitted } = await submit(stack.url, user.cookie);
    const { events } = await followUntil(client, { analysisId: submitted.analysisId });
    expect(events.at(-1)?.event).toMatchObject({ kind: 'failed', status: 'failed' });
    const a = await client.analysis.get.query({ analysisId: submitted.analysisId });
    expect(a).toMatchObject({
      status: 'failed',
      finalChargedCredits: 0,
      memoContent: null,
      errorMessage: 'The AI model rejected the request for this contract. Nothing was charged.',
    });
    expect(await chargesFor(stack.db, submitted.memoUuid)).toHaveLength(0);
    expect(await holdOf(stack.db, submitted.memoUuid)).toMatchObject({ status: 'released' });
    expect(await client.credits.balance.query()).toEqual({ balance: 100, held: 0, available: 100 });
  });

  it('on SIGTERM mid-analysis hands the job back and exits 0; the next web process finishes it, charged once', async () => {
    const user = await signUp(stack.url);
    await stack.sim.setLatency(800);
    const { client, quote, submitted } = await submit(stack.url, user.cookie);
    await waitUntil(
      async () =>
        (await client.analysis.get.query({ analysisId: submitted.analysisId })).progress.stage === 'contract',
      'the inline runtime to be running the analysis (stage contract)',
    );
    stack.server.kill('SIGTERM');
    expect(await stack.server.exited).toBe(0);
    await stack.server.waitFor(/handed back/, 5_000);
    expect(stack.server.output()).toMatch(/server stopped/);
    expect(await chargesFor(stack.db, submitted.memoUuid)).toHaveLength(0);

    await stack.sim.setLatency(0);
    // The redeployed web process (same database, queue and secret) takes the job over.
    stack.server = await startServer(stack.env);
    stack.url = stack.server.url;
    const next = trpcClient(stack.url, user.cookie);
    const { events } = await followUntil(next, { analysisId: submitted.analysisId });
    expectNeverBack(events);
    expect(events.at(-1)?.event.kind).toBe('completed');
    const a = await next.analysis.get.query({ analysisId: submitted.analysisId });
    expect(a).toMatchObject({ status: 'completed', finalChargedCredits: quote.credits });
    expect((await chargesFor(stack.db, submitted.memoUuid)).map((c) => c.amount)).toEqual([-quote.credits]);
  }, 180_000);
});
