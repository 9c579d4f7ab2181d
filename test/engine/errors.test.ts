import {
  AnalysisAbortedError,
  classifyModelError,
  PermanentAnalysisError,
  TransientModelError,
} from '@revmemo/engine';
import type { FailureMode } from '@revmemo/model-simulator';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureText } from './support/files';
import { SimHarness } from './support/sim';

let h: SimHarness;
beforeAll(async () => {
  h = await SimHarness.start();
  // One run first: loading the tokenizer and the SDK on a busy machine can outlast the short model
  // timeouts below, which would then measure the cold start instead of the injected failure.
  await h.run(fixtureText('usage-based'));
});
afterAll(() => h.sim.close());
beforeEach(() => h.reset());

const contract = fixtureText('usage-based');
/** One try per step: isolates how a single failed request is classified. */
const ONE_TRY = { tries: 1, budgetMs: 0, backoffMs: 0 };

describe('injected model failures', () => {
  it.each<
    [FailureMode, number, typeof TransientModelError | typeof PermanentAnalysisError, string | null, number]
  >([
    ['429', 1, TransientModelError, null, 1],
    ['500', 1, TransientModelError, null, 1],
    ['timeout', 1, TransientModelError, null, 1],
    ['400', 1, PermanentAnalysisError, 'bad_request', 1],
    ['refusal', 1, PermanentAnalysisError, 'refusal', 1],
    ['malformed', 2, PermanentAnalysisError, 'schema', 2],
  ])('%s x%i -> %o (%s) after %i calls', async (mode, count, type, code, calls) => {
    await h.fail(mode, count);
    const err = await h.run(contract, { timeoutMs: 300, retry: ONE_TRY }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(type);
    expect(classifyModelError(err)).toBe(type === TransientModelError ? 'retry' : 'fail');
    if (code) expect((err as PermanentAnalysisError).code).toBe(code);
    expect((err as { userMessage: string }).userMessage).toMatch(/\w/);
    expect((await h.stats()).calls).toBe(calls);
  });

  it('repairs one malformed answer and finishes', async () => {
    await h.fail('malformed', 1);
    const result = await h.run(contract);
    expect(result.analysis.modelCalls).toBe(6);
    const { requests } = await h.stats();
    expect(requests.map((r) => r.outcome)).toEqual(['malformed', 'ok', 'ok', 'ok', 'ok', 'ok']);
    const repair = requests[1]?.body as { messages: { role: string; content: string }[] };
    expect(repair.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(repair.messages[2]?.content).toBe('{"this is": not valid JSON');
    expect(repair.messages[3]?.content).toMatch(/not valid JSON/);
  });

  it('retries are ours, not the SDK’s: one request per try, the step gives up after its tries', async () => {
    await h.fail('500', 3);
    await expect(
      h.run(contract, { retry: { tries: 2, budgetMs: 10_000, backoffMs: 1 } }),
    ).rejects.toBeInstanceOf(TransientModelError);
    expect((await h.stats()).calls).toBe(2);
  });

  it('rides out transient failures inside the step and reports every request', async () => {
    await h.fail('500', 3);
    const calls: string[] = [];
    const result = await h.run(contract, {
      retry: { tries: 4, budgetMs: 10_000, backoffMs: 1 },
      onModelCall: async (c) => {
        calls.push(`${c.step}:${c.outcome}`);
      },
    });
    expect(result.analysis.modelCalls).toBe(8);
    expect(calls.slice(0, 4)).toEqual([
      'contract:retried',
      'contract:retried',
      'contract:retried',
      'contract:ok',
    ]);
    expect((await h.stats()).calls).toBe(8);
  });
});

describe('classifyModelError', () => {
  const status = (code: number) => APIError.generate(code, { error: { message: 'x' } }, 'x', new Headers());
  it.each([
    ['429', status(429), 'retry'],
    ['500', status(500), 'retry'],
    ['503', status(503), 'retry'],
    ['408', status(408), 'retry'],
    ['timeout', new APIConnectionTimeoutError(), 'retry'],
    ['connection', new APIConnectionError({ message: 'ECONNRESET' }), 'retry'],
    ['400', status(400), 'fail'],
    ['401', status(401), 'fail'],
    ['403', status(403), 'fail'],
    ['404', status(404), 'fail'],
    ['422', status(422), 'fail'],
    ['user abort', new APIUserAbortError(), 'fail'],
    ['schema', new PermanentAnalysisError('schema', 'x'), 'fail'],
    ['transient', new TransientModelError('x', 429), 'retry'],
    ['aborted', new AnalysisAbortedError(), 'fail'],
    ['unknown bug', new TypeError('x is undefined'), 'fail'],
  ] as const)('%s -> %s', (_label, err, expected) => {
    expect(classifyModelError(err)).toBe(expected);
  });
});
