import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { chargesFor, expectLedgerHealthy } from '../support/ledger';
import { startProductStack } from '../support/stack';
import { analyseOnce } from './support';

let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({ workers: 0, extraEnv: { ANALYSIS_EXECUTION: 'inline' } });
});
afterAll(async () => {
  await expectLedgerHealthy(stack.db);
  await stack?.stop();
});

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
});
