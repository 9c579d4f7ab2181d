import { type ModelSimulator, startModelSimulator } from '@revmemo/model-simulator';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simulatorControl } from '../support/model';

/** The simulated model's streaming, over HTTP, read by the real openai SDK and by a raw SSE reader. */
let sim: ModelSimulator;
let control: ReturnType<typeof simulatorControl>;
let client: OpenAI;
beforeAll(async () => {
  sim = await startModelSimulator();
  control = simulatorControl(sim.url);
  client = new OpenAI({ apiKey: 'test', baseURL: sim.url, maxRetries: 0, timeout: 10_000 });
});
afterAll(() => sim.close());
beforeEach(() => control.reset());

const base = () => sim.url.replace(/\/v1$/, '');

async function configure(config: Record<string, unknown>): Promise<Response> {
  return fetch(`${base()}/__sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
}

/** A plain chat request: the simulator answers it with one sentence of about 70 characters. */
const REQUEST = {
  model: 'revmemo-simulated',
  messages: [{ role: 'user' as const, content: 'one two three four five' }],
};

async function streamed(includeUsage = true): Promise<ChatCompletionChunk[]> {
  const stream = await client.chat.completions.create({
    ...REQUEST,
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const text = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

describe('stream: true', () => {
  it('answers as OpenAI does: role first, content deltas, finish_reason, then the usage chunk', async () => {
    const whole = await client.chat.completions.create(REQUEST);
    const chunks = await streamed();
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const content = chunks.slice(1, -2);
    expect(content.length).toBeGreaterThan(5);
    expect(content.every((c) => c.choices[0]?.finish_reason === null && c.choices[0]?.delta.content)).toBe(
      true,
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual(whole.usage);
    // The same answer as without streaming, and recorded whole.
    expect(text(chunks)).toBe(whole.choices[0]?.message.content);
    const { requests } = await control.stats();
    expect(requests.map((r) => [r.outcome, r.streamed])).toEqual([
      ['ok', false],
      ['ok', true],
    ]);
    expect(requests[1]?.content).toBe(text(chunks));
  });

  it('sends no usage chunk unless stream_options.include_usage asks for it', async () => {
    const chunks = await streamed(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.every((c) => !c.usage)).toBe(true);
  });

  it('ends the event stream with data: [DONE] over text/event-stream', async () => {
    const res = await fetch(`${sim.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...REQUEST, stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('streamChunks sets how many content chunks; by default about one per 4 characters', async () => {
    const answer = text(await streamed());
    expect((await streamed()).length - 3).toBe(Math.ceil(answer.length / 4));
    expect((await configure({ streamChunks: 5, streamMs: 50 })).status).toBe(200);
    const paced = await streamed();
    expect(paced.length).toBe(1 + 5 + 2);
    expect(text(paced)).toBe(answer);
    expect((await control.stats()).config).toMatchObject({ streamChunks: 5, streamMs: 50 });
  });

  it('options and the config API are checked', async () => {
    for (const bad of [{ streamMs: -1 }, { streamChunks: 1.5 }, { latencyMs: 'slow' }]) {
      const res = await configure(bad);
      expect(res.status).toBe(400);
    }
    const paced = await startModelSimulator({ streamMs: 10, streamChunks: 3 });
    try {
      const stats = await simulatorControl(paced.url).stats();
      expect(stats.config).toMatchObject({ streamMs: 10, streamChunks: 3 });
    } finally {
      await paced.close();
    }
  });

  it("'refusal' streams delta.refusal and no content", async () => {
    await control.fail('refusal', 1);
    const chunks = await streamed();
    const refusal = chunks.map((c) => c.choices[0]?.delta.refusal ?? '').join('');
    expect(refusal).toMatch(/cannot help/);
    expect(text(chunks)).toBe('');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it("'cut' sends about half the answer, then drops the connection: the SDK's iteration throws", async () => {
    const whole = text(await streamed());
    await control.fail('cut', 1);
    const received: ChatCompletionChunk[] = [];
    const err = await (async () => {
      const stream = await client.chat.completions.create({ ...REQUEST, stream: true });
      for await (const chunk of stream) received.push(chunk);
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const partial = text(received);
    expect(whole.startsWith(partial)).toBe(true);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(whole.length);
    expect(received.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    const last = (await control.stats()).requests.at(-1);
    expect(last?.outcome).toBe('cut');
    expect(last?.content).toBe(partial);
  });

  it("'cut' without streaming sends half the body, then drops the connection", async () => {
    await control.fail('cut', 1);
    await expect(client.chat.completions.create(REQUEST)).rejects.toBeInstanceOf(Error);
    expect((await control.stats()).requests.at(-1)?.outcome).toBe('cut');
  });
});
