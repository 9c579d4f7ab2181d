import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { chargesFor, expectLedgerHealthy } from '../support/ledger';
import { startServer } from '../support/processes';
import { expectEveryStageOnce, expectResumedAfter, followUntil, type Received } from '../support/progress';
import { startProductStack } from '../support/stack';
import { waitUntil } from '../support/wait';

/** A redeploy of the web tier: one of two web processes gets SIGTERM while browsers follow progress on it. */
let stack: Awaited<ReturnType<typeof startProductStack>>;

beforeAll(async () => {
  stack = await startProductStack({ latencyMs: 600 });
});
afterAll(async () => {
  await expectLedgerHealthy(stack.db);
  await stack?.stop();
});

const sseSubscriptions = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('revmemo_sse_subscriptions '));
  return Number(line?.split(' ')[1]);
};

describe('SIGTERM to a web process with progress streams open', () => {
  it('cuts the streams and exits 0; the clients resume on the other process with nothing missed', async () => {
    const leaving = await startServer({ ...stack.env, WEBSITE_URL: stack.url });
    const user = await signUp(stack.url);
    const onLeaving = trpcClient(leaving.url, user.cookie);
    const quote = await onLeaving.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
    const { analysisId, memoUuid } = await onLeaving.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: crypto.randomUUID(),
    });

    // Two clients follow on the process about to leave.
    const watchers = [0, 1].map(() => {
      const seen: Received[] = [];
      const errors: unknown[] = [];
      const sub = onLeaving.analysis.progress.subscribe(
        { analysisId },
        {
          onData: (t) => seen.push({ id: t.id, event: t.data }),
          onError: (err) => errors.push(err),
        },
      );
      return { seen, errors, sub };
    });
    await waitUntil(
      () => watchers.every((w) => w.seen.some((e) => e.event.kind === 'progress')),
      'both clients to receive a live progress event',
    );
    expect(await sseSubscriptions(leaving.url)).toBe(2);

    leaving.kill('SIGTERM');
    // Open streams must not hold the process: it closes them and exits cleanly (its own deadline
    // would exit 1 instead).
    expect(await leaving.exited).toBe(0);
    expect(leaving.output()).toMatch(/server stopped/);
    for (const w of watchers) w.sub.unsubscribe();

    // Each client resumes on the other process from the last id it had.
    const onStaying = trpcClient(stack.url, user.cookie);
    for (const w of watchers) {
      const rest = await followUntil(onStaying, { analysisId, lastEventId: w.seen.at(-1)?.id as string });
      expect(rest.ended).toBe('complete');
      expectResumedAfter(w.seen, rest.events);
      expectEveryStageOnce([...w.seen, ...rest.events]);
      expect(rest.events.at(-1)?.event.kind).toBe('completed');
    }
    expect((await chargesFor(stack.db, memoUuid)).map((c) => c.amount)).toEqual([-quote.credits]);
  });
});
