import type { PipelineStage } from '@revmemo/contracts';
import {
  AnalysisAbortedError,
  classifyModelError,
  PermanentAnalysisError,
  type PipelineResult,
  STEPS,
  type StepPartial,
  TransientModelError,
} from '@revmemo/engine';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { simulatorControl } from '../support/model';
import { fixtureText } from './support/files';
import { SimHarness } from './support/sim';

/** Every step streams its answer from the simulator over HTTP, read by the real openai SDK. */
let h: SimHarness;
let control: ReturnType<typeof simulatorControl>;
let baseline: PipelineResult;
const contract = fixtureText('saas-subscription');
/** One try per step: isolates how a single failed request is classified. */
const ONE_TRY = { tries: 1, budgetMs: 0, backoffMs: 0 };
const FAST_RETRY = { tries: 3, budgetMs: 10_000, backoffMs: 1 };

beforeAll(async () => {
  h = await SimHarness.start();
  control = simulatorControl(h.sim.url);
  // Also warms the tokenizer and the SDK, so the short timeouts below measure the stream, not a cold start.
  baseline = await h.run(contract);
});
afterAll(() => h.sim.close());
beforeEach(() => h.reset());

interface Seen {
  stage: PipelineStage;
  share: number;
  finding: string | null;
}

/** Records every partial report, reading its finding at once (as a publisher would, now and then). */
function recorder() {
  const seen: Seen[] = [];
  return {
    seen,
    onPartial: (p: StepPartial) => seen.push({ stage: p.stage, share: p.share, finding: p.finding() }),
  };
}

describe('streamed steps', () => {
  it('validate into exactly the answers the model streamed, which are the answers it gives unstreamed', async () => {
    const result = await h.run(contract);
    const { requests } = await h.stats();
    expect(requests.map((r) => [r.outcome, r.streamed])).toEqual(STEPS.map(() => ['ok', true]));
    for (const [i, step] of STEPS.entries())
      expect(result.structured.steps[step.key]).toEqual(JSON.parse(requests[i]?.content ?? ''));
    expect(result.memoMarkdown).toBe(baseline.memoMarkdown);

    // The same requests without streaming get byte-identical answers.
    const client = new OpenAI({ apiKey: 'test', baseURL: h.sim.url, maxRetries: 0 });
    for (const request of requests) {
      const body = request.body as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      const whole = await client.chat.completions.create({ ...body, stream: false });
      expect(whole.choices[0]?.message.content).toBe(request.content);
    }
  });

  it('are not streamed when nobody follows the progress (partial progress off), with the same answers', async () => {
    const streamed = await h.run(contract);
    await control.reset();
    const whole = await h.run(contract, { onPartial: undefined });
    const { requests } = await h.stats();
    expect(requests.map((r) => [r.outcome, r.streamed ?? false])).toEqual(STEPS.map(() => ['ok', false]));
    expect(whole.structured.steps).toEqual(streamed.structured.steps);
    expect(whole.memoMarkdown).toBe(streamed.memoMarkdown);
    expect(whole.usage.completionTokens).toBe(streamed.usage.completionTokens);
  });

  it('report each step as it streams: the share rises within a request, and the finding says more and more', async () => {
    const { seen, onPartial } = recorder();
    const stages: PipelineStage[] = [];
    await h.run(contract, { onPartial, onStage: async (s) => void stages.push(s) });
    // Partials come in stage order, each inside its own stage.
    const order = [...new Set(seen.map((s) => s.stage))];
    expect(order).toEqual(STEPS.map((s) => s.stage));
    for (const stage of order) {
      const mine = seen.filter((s) => s.stage === stage);
      expect(mine.length).toBeGreaterThan(50);
      const shares = mine.map((s) => s.share);
      // Rising with every chunk, until held at the cap (an answer longer than expected).
      for (let i = 1; i < shares.length; i++) {
        const before = shares[i - 1] as number;
        if (before < 0.97) expect(shares[i]).toBeGreaterThan(before);
        else expect(shares[i]).toBe(before);
      }
      expect(Math.max(...shares)).toBeLessThan(1);
      const findings = [...new Set(mine.map((s) => s.finding).filter((f): f is string => f !== null))];
      expect(findings.length, `${stage}: ${findings.join(' | ')}`).toBeGreaterThan(1);
    }
    const said = seen.map((s) => s.finding);
    for (const words of [
      'Parties: Northwind Analytics, Inc. and Bluefin Retail LLC',
      '1 performance obligation identified so far',
      '2 performance obligations identified',
      'transaction price: USD 390,000 fixed, variable part being assessed',
      'transaction price: USD 390,000',
      'allocated to 1 of 2 obligations so far',
      'timing decided for 1 of 2 obligations so far',
      'timing decided for both obligations',
    ])
      expect(said.some((f) => f?.startsWith(words))).toBe(true);
  });

  it('a finding is parsed only when read', async () => {
    let reports = 0;
    let read = 0;
    await h.run(contract, {
      onPartial: (p) => {
        reports++;
        // A publisher reads a finding a few times a second, not per chunk.
        if (reports % 100 === 0 && p.finding() !== null) read++;
      },
    });
    expect(reports).toBeGreaterThan(500);
    expect(read).toBeGreaterThan(0);
  });

  it('a stream cut mid-answer is retried; the result is the complete answer, never the cut one', async () => {
    await control.fail('cut', 1, { step: 'step2' });
    const { seen, onPartial } = recorder();
    const calls: string[] = [];
    const result = await h.run(contract, {
      retry: FAST_RETRY,
      onPartial,
      onModelCall: async (c) => void calls.push(`${c.step}:${c.outcome}`),
    });
    expect(calls).toEqual([
      'contract:ok',
      'obligations:retried',
      'obligations:ok',
      'price:ok',
      'allocation:ok',
      'recognition:ok',
    ]);
    const { requests } = await h.stats();
    const [cut, complete] = requests.filter((r) => r.step?.includes('step2'));
    expect(cut?.outcome).toBe('cut');
    expect(complete?.outcome).toBe('ok');
    const partial = cut?.content ?? '';
    expect(partial.length).toBeGreaterThan(100);
    expect(complete?.content?.startsWith(partial)).toBe(true);
    expect(complete?.content?.length).toBeGreaterThan(partial.length);
    expect(result.structured.steps.obligations).toEqual(JSON.parse(complete?.content ?? ''));
    expect(result.memoMarkdown).toBe(baseline.memoMarkdown);
    // The retried request's share started again from the beginning.
    const shares = seen.filter((s) => s.stage === 'obligations').map((s) => s.share);
    const restart = shares.findIndex((s, i) => i > 0 && s < (shares[i - 1] as number));
    expect(restart).toBeGreaterThan(0);
    expect(shares[restart]).toBeLessThan(0.05);
  });

  it('a repair request streams too: its share starts again, and the result is the repaired answer', async () => {
    await control.fail('malformed', 1, { step: 'step3' });
    const { seen, onPartial } = recorder();
    const result = await h.run(contract, { onPartial });
    expect(result.structured.steps).toEqual(baseline.structured.steps);
    const price = seen.filter((s) => s.stage === 'price');
    // The malformed answer shows nothing; the repaired one tells the price.
    const restart = price.findIndex((s, i) => i > 0 && s.share < (price[i - 1]?.share ?? 0));
    expect(restart).toBeGreaterThan(0);
    expect(price.slice(0, restart).every((s) => s.finding === null)).toBe(true);
    expect(price.at(-1)?.finding).toBe('transaction price: USD 390,000');
    const { requests } = await h.stats();
    expect(requests.filter((r) => r.step?.includes('step3')).map((r) => r.outcome)).toEqual([
      'malformed',
      'ok',
    ]);
  });

  it('a cut stream is a transient failure (the job-level retry takes over once the step gives up)', async () => {
    await control.fail('cut', 1);
    const err = await h.run(contract, { retry: ONE_TRY }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransientModelError);
    expect(classifyModelError(err)).toBe('retry');
    // undici's "terminated" as the socket closes under the SDK's reader.
    expect((err as Error).message).toMatch(/mid-stream: terminated/);
  });

  it('a stream that stalls mid-answer times out as a transient failure', async () => {
    await control.fail('stall', 1);
    const err = await h.run(contract, { retry: ONE_TRY, timeoutMs: 1_500 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransientModelError);
    expect((err as Error).message).toMatch(/timed out mid-answer/);
    const { requests } = await h.stats();
    expect(requests.map((r) => r.outcome)).toEqual(['stall']);
  });

  it('an abort while the answer streams stops the analysis (not retried)', async () => {
    await control.configure({ streamMs: 5_000, streamChunks: 200 });
    const controller = new AbortController();
    const err = await h
      .run(contract, {
        signal: controller.signal,
        retry: FAST_RETRY,
        onPartial: (p) => {
          if (p.share > 0.1) controller.abort();
        },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(AnalysisAbortedError);
    expect((await h.stats()).calls).toBe(1);
    // The simulator saw the client leave mid-answer: nothing was recorded as answered.
    await vi.waitFor(async () => expect((await h.stats()).requests[0]?.outcome).toBe('client-closed'));
  });

  it('a refusal while streaming is permanent', async () => {
    await control.fail('refusal', 1);
    const err = await h.run(contract, { retry: FAST_RETRY }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PermanentAnalysisError);
    expect((err as PermanentAnalysisError).code).toBe('refusal');
    const { requests } = await h.stats();
    expect(requests.map((r) => [r.outcome, r.streamed])).toEqual([['refusal', true]]);
  });

  it('paced streams (streamChunks, streamMs) give the same answers, in as many reports as chunks', async () => {
    await control.configure({ streamChunks: 7, streamMs: 70 });
    const { seen, onPartial } = recorder();
    const result = await h.run(contract, { onPartial });
    expect(result.structured.steps).toEqual(baseline.structured.steps);
    for (const step of STEPS) expect(seen.filter((s) => s.stage === step.stage)).toHaveLength(7);
  });
});
