import { beginRun, getAnalysis, listSteps, saveStep, saveStepWithProgress } from '@revmemo/db';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chargesFor, holdOf } from '../support/ledger';
import { seedAnalysis } from '../support/seed';
import { until } from '../support/wait';
import { stepNumbers, workerStack } from './worker-stack';

/**
 * Durable steps (docs/durable-steps.md): a flaky model costs one step, never the finished ones.
 * Real worker processes, Postgres and Redis; the simulated model's failure injection.
 */
let stack: Awaited<ReturnType<typeof workerStack>>;

beforeAll(async () => {
  stack = await workerStack('durable');
});
afterEach(() => stack.cleanup());
afterAll(() => stack.close());

const submit = () => stack.submit();

describe('durable steps', () => {
  it('rides out a provider that fails every distinct prompt once: 10 requests, no job retry, one charge', async () => {
    await stack.sim.fail('500', 1, { perPrompt: true });
    await stack.worker();
    const a = await submit();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'completed');
    const requests = await stack.sim.requests();
    expect(requests).toHaveLength(10);
    expect(requests.filter((r) => r.outcome === '500')).toHaveLength(5);
    expect(stepNumbers(requests)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(row.attempts).toBe(1); // no job-level retry
    expect(row.modelCalls).toBe(10); // the failed requests are part of the recorded cost
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(1);
    expect((await listSteps(stack.db, a.analysisId)).map((s) => [s.step, s.modelCalls])).toEqual([
      ['contract', 2],
      ['obligations', 2],
      ['price', 2],
      ['allocation', 2],
      ['recognition', 2],
    ]);
  });

  it('fails at once on a permanent error in step 4: released, nothing charged, exactly 4 requests', async () => {
    await stack.sim.fail('400', 1, { step: 'step4' });
    await stack.worker();
    const a = await submit();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'failed');
    expect(row.finalChargedCredits).toBe(0);
    expect(row.errorMessage).toMatch(/rejected the request.*Nothing was charged/);
    expect(await holdOf(stack.db, a.memoUuid)).toMatchObject({ status: 'released' });
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(0);
    expect(stepNumbers(await stack.sim.requests())).toEqual([1, 2, 3, 4]);
  });

  it('after a SIGKILL during step 4 the next worker redoes step 4 and 5 only, and writes the same memo', async () => {
    // The memo an uninterrupted run writes for this contract.
    await stack.worker();
    const reference = await submit();
    const uninterrupted = await stack.waitFor(reference.analysisId, (r) => r.status === 'completed');
    await stack.cleanup();

    await stack.sim.setLatency(1500);
    const first = await stack.worker();
    const a = await submit();
    await stack.waitFor(a.analysisId, (r) => r.progressStage === 'allocation');
    await stack.requestInFlight(); // step 4's request is with the model (it takes 1.5 s to answer)
    first.kill('SIGKILL');
    await first.exited;
    // The simulator records the cut request once it sees the connection close.
    const cut = await until(
      () => stack.sim.requests(),
      (r) => r.length === 4,
      'the simulator to record the request cut by the kill',
    );
    expect(stepNumbers(cut)).toEqual([1, 2, 3, 4]);
    expect(cut.at(-1)?.outcome).toBe('client-closed');
    const beforeKill = cut.length;

    await stack.sim.setLatency(0);
    await stack.worker();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'completed');
    const after = (await stack.sim.requests()).slice(beforeKill);
    expect(stepNumbers(after)).toEqual([4, 5]); // never steps 1-3 again
    expect(row.memoContent).toBe(uninterrupted.memoContent);
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(1);
    expect((await listSteps(stack.db, a.analysisId)).map((s) => [s.step, s.attempt])).toEqual([
      ['contract', 1],
      ['obligations', 1],
      ['price', 1],
      ['allocation', 2],
      ['recognition', 2],
    ]);
  });

  it('honours Retry-After: 2 on step 2, retrying no sooner than 2 s later', async () => {
    await stack.sim.fail('429', 1, { step: 'step2', retryAfter: 2 });
    await stack.worker();
    const a = await submit();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'completed');
    const step2 = (await stack.sim.requests()).filter((r) => r.step?.includes('step2'));
    expect(step2.map((r) => r.outcome)).toEqual(['429', 'ok']);
    const [refused, retried] = step2.map((r) => r.at);
    expect((retried ?? 0) - (refused ?? Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(2000);
    expect(row.attempts).toBe(1);
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(1);
  });

  it('parks the job on a Retry-After beyond the budget, frees the slot, and completes when the time comes', async () => {
    await stack.sim.fail('429', 1, { step: 'step2', retryAfter: 600 });
    await stack.worker({ WORKER_CONCURRENCY: '1' });
    const parked = await submit();
    await stack.waitFor(parked.analysisId, (r) => /asked us to wait/.test(r.progressMessage));
    await until(
      () => stack.queue.getJobState(parked.analysisId),
      (state) => state === 'delayed',
      'the parked job to be delayed',
    );
    // Due in about ten minutes, and no attempt used for the wait.
    const fresh = await stack.queue.getJob(parked.analysisId);
    expect((fresh?.timestamp ?? 0) + (fresh?.delay ?? 0)).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(fresh?.attemptsMade).toBe(0);

    // The only worker slot is free: another analysis runs to the end meanwhile.
    const other = await submit();
    await stack.waitFor(other.analysisId, (r) => r.status === 'completed');
    expect((await getAnalysis(stack.db, parked.analysisId))?.status).toBe('running');

    // "When the time comes": promote the delayed job instead of waiting ten minutes.
    await fresh?.promote();
    const row = await stack.waitFor(parked.analysisId, (r) => r.status === 'completed');
    expect(await chargesFor(stack.db, parked.memoUuid)).toHaveLength(1);
    // Step 1 was not sent again after the pause: once for each of the two analyses.
    expect(stepNumbers(await stack.sim.requests()).filter((n) => n === 1)).toHaveLength(2);
    expect(row.attempts).toBe(2);
    expect((await listSteps(stack.db, parked.analysisId)).find((s) => s.step === 'contract')?.attempt).toBe(
      1,
    );
  });

  it('on SIGTERM during a backoff wait hands the job back at once; the next worker resumes from the checkpoint', async () => {
    await stack.sim.fail('429', 1, { step: 'step3', retryAfter: 30 });
    const first = await stack.worker({ MODEL_STEP_RETRY_BUDGET_MS: '60000' });
    const a = await submit();
    await stack.waitFor(a.analysisId, (r) => /retrying step 3/.test(r.progressMessage));
    const signalled = Date.now();
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Handed back at once, not after the 30 s wait.
    expect(Date.now() - signalled).toBeLessThan(25_000);
    expect(first.output()).toMatch(/handed back/);
    const job = await stack.queue.getJob(a.analysisId);
    expect(job?.attemptsMade).toBe(0);
    const sent = (await stack.sim.requests()).length;

    const second = await stack.worker();
    const row = await stack.waitFor(a.analysisId, (r) => r.status === 'completed');
    expect(stepNumbers((await stack.sim.requests()).slice(sent))).toEqual([3, 4, 5]);
    expect(await chargesFor(stack.db, a.memoUuid)).toHaveLength(1);
    expect(row.attempts, `${first.output()}\n---\n${second.output()}`).toBe(2);
  });
});

describe('checkpoint fencing', () => {
  it('a stale run cannot add or overwrite a step of the newer run', async () => {
    const a = await seedAnalysis(stack.db, stack.userId);
    const stale = await beginRun(stack.db, a.analysisId);
    const live = await beginRun(stack.db, a.analysisId);
    if (!stale || !live) throw new Error('analysis did not start');
    const step = (attempt: number, summary: string) => ({
      analysisId: a.analysisId,
      attempt,
      step: 'contract',
      result: { summary },
      droppedCitations: 0,
      model: 'm',
      promptTokens: 1,
      completionTokens: 1,
      modelCalls: 1,
      durationMs: 5,
    });
    expect(await saveStep(stack.db, step(stale.analysis.attempts, 'stale'))).toBe('superseded');
    expect(await listSteps(stack.db, a.analysisId)).toEqual([]);
    expect(await saveStep(stack.db, step(live.analysis.attempts, 'live'))).toBe('saved');
    expect(await saveStep(stack.db, step(stale.analysis.attempts, 'stale again'))).toBe('superseded');
    expect(await saveStep(stack.db, step(live.analysis.attempts, 'rewritten'))).toBe('exists');
    const stored = await listSteps(stack.db, a.analysisId);
    expect(stored.map((s) => [s.step, s.result, s.attempt])).toEqual([['contract', { summary: 'live' }, 2]]);
  });

  it('a step saved with the next stage writes both or, for a stale run, neither', async () => {
    const a = await seedAnalysis(stack.db, stack.userId);
    const stale = await beginRun(stack.db, a.analysisId);
    const live = await beginRun(stack.db, a.analysisId);
    if (!stale || !live) throw new Error('analysis did not start');
    const step = (attempt: number, summary: string) => ({
      analysisId: a.analysisId,
      attempt,
      step: 'contract',
      result: { summary, nested: [1, { ok: true }] },
      droppedCitations: 0,
      model: 'm',
      promptTokens: 1,
      completionTokens: 1,
      modelCalls: 1,
      durationMs: 5.4,
    });
    const next = (message: string) => ({ stage: 'obligations', percent: 30, message });
    expect(await saveStepWithProgress(stack.db, step(stale.analysis.attempts, 'stale'), next('stale'))).toBe(
      'superseded',
    );
    expect(await listSteps(stack.db, a.analysisId)).toEqual([]);
    expect((await getAnalysis(stack.db, a.analysisId))?.progressMessage).not.toBe('stale');

    expect(await saveStepWithProgress(stack.db, step(live.analysis.attempts, 'live'), next('live'))).toBe(
      'saved',
    );
    const row = await getAnalysis(stack.db, a.analysisId);
    expect([row?.progressStage, row?.progressPercent, row?.progressMessage]).toEqual([
      'obligations',
      30,
      'live',
    ]);
    expect(
      await saveStepWithProgress(stack.db, step(live.analysis.attempts, 'rewritten'), next('again')),
    ).toBe('exists');
    const stored = await listSteps(stack.db, a.analysisId);
    expect(stored.map((s) => [s.step, s.result, s.attempt, s.durationMs])).toEqual([
      ['contract', { summary: 'live', nested: [1, { ok: true }] }, 2, 5],
    ]);
  });
});
