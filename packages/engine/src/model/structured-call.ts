import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { Stream } from 'openai/streaming';
import { z } from 'zod';
import { AnalysisAbortedError, PermanentAnalysisError, TransientModelError } from '../errors';
import type { JsonSchema } from '../steps/strict-schema';
import { estimateRequestTokens, type ModelBudget, waitForBudget } from './budget';
import { retryAfterOf, toAnalysisError, toStreamError } from './classify';

export interface StructuredRequest<T> {
  client: OpenAI;
  model: string;
  name: string;
  schema: z.ZodType<T>;
  jsonSchema: JsonSchema;
  messages: ChatCompletionMessageParam[];
  signal?: AbortSignal | undefined;
  /** Each request that got an answer, with its usage (failed requests surface as thrown errors). */
  onAnswer?: ((usage: CallUsage) => void) | undefined;
  /**
   * A request already sent was cut by `signal` (a cancel, a shutdown's deadline). It still counts
   * as a call; its usage is unknown (a cut stream never gets its usage chunk).
   */
  onAbandoned?: (() => void) | undefined;
  /** The shared rate budget every request waits for first (docs/capacity.md); absent, none. */
  budget?: ModelBudget | undefined;
  /** Cuts a wait for budget short (a stopping worker hands the job back instead of waiting). */
  waitSignal?: AbortSignal | undefined;
  /** Told once when a request has to wait a noticeable time for budget. */
  onBudgetWait?: ((until: Date) => Promise<void>) | undefined;
  /**
   * Told per chunk as the answer streams in: the characters received in this request and the text
   * so far (a prefix of a JSON document). A repair request starts again from 0. Synchronous and
   * called often: keep it O(1), parse `textSoFar` only when someone looks. Absent, the request is
   * not streamed (PROGRESS_PARTIALS_PER_SECOND=0 turns streaming off, for a provider or gateway
   * that mishandles it); the answer and its checks are the same either way.
   */
  onChunk?: ((receivedChars: number, textSoFar: string) => void) | undefined;
}

export interface CallUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
}

export interface StructuredResult<T> {
  data: T;
  usage: CallUsage[];
}

/** What we echo back in a repair request; a runaway answer must not blow up the next prompt. */
const MAX_ECHO_CHARS = 8_000;

/**
 * One structured-output call, plus at most one repair call that shows the model its own invalid
 * answer and the validation error. A second invalid answer is permanent: the schema is fixed,
 * so retrying the job would most likely fail the same way and charge more tokens.
 */
export async function callStructured<T>(req: StructuredRequest<T>): Promise<StructuredResult<T>> {
  const usage: CallUsage[] = [];
  const first = await complete(req, req.messages, usage);
  const firstCheck = validate(first, req.schema);
  if (firstCheck.ok) return { data: firstCheck.data, usage };

  const repairMessages: ChatCompletionMessageParam[] = [
    ...req.messages,
    { role: 'assistant', content: first.slice(0, MAX_ECHO_CHARS) },
    {
      role: 'user',
      content: `Your answer is not valid for the schema "${req.name}": ${firstCheck.error}\nReply again with only the corrected JSON object.`,
    },
  ];
  const second = await complete(req, repairMessages, usage);
  const secondCheck = validate(second, req.schema);
  if (secondCheck.ok) return { data: secondCheck.data, usage };
  throw new PermanentAnalysisError(
    'schema',
    'The AI model returned an answer in an unexpected format twice.',
    {
      detail: `${req.name}: ${secondCheck.error}`,
    },
  );
}

async function complete<T>(
  req: StructuredRequest<T>,
  messages: ChatCompletionMessageParam[],
  usage: CallUsage[],
): Promise<string> {
  const reservation = req.budget
    ? await waitForBudget(req.budget, estimateRequestTokens(messages), {
        signal: req.waitSignal ?? req.signal,
        onWait: req.onBudgetWait,
      })
    : undefined;
  const started = Date.now();
  const body = {
    model: req.model,
    messages,
    // Fixed so a retry or a re-run gives the same memo as far as the provider allows.
    temperature: 0,
    response_format: {
      type: 'json_schema' as const,
      json_schema: { name: req.name, strict: true, schema: req.jsonSchema },
    },
  };
  const options = { signal: req.signal ?? null };
  let answer: StreamedAnswer;
  try {
    if (req.onChunk) {
      // Streamed so the step can show progress while the model writes; only the complete answer is used.
      const stream = await req.client.chat.completions.create(
        { ...body, stream: true, stream_options: { include_usage: true } },
        options,
      );
      // The SDK's timeout stops at the response headers; the rest of the answer gets what is left of it.
      // Its errors are the engine's already (toStreamError) and pass through the catch unchanged.
      answer = await readAnswer(stream, req, req.client.timeout - (Date.now() - started));
    } else {
      answer = wholeAnswer(await req.client.chat.completions.create(body, options), req.name);
    }
  } catch (err) {
    const failure = toAnalysisError(err, req.signal);
    if (failure instanceof AnalysisAbortedError) req.onAbandoned?.();
    // A 429 means the shared budget is above what the provider allows right now: slow every worker.
    if (req.budget && failure instanceof TransientModelError && failure.status === 429)
      await req.budget.rateLimited(retryAfterOf(err)).catch(() => undefined);
    throw failure;
  }
  const answered: CallUsage = {
    model: answer.model || req.model,
    promptTokens: answer.usage?.prompt_tokens ?? 0,
    completionTokens: answer.usage?.completion_tokens ?? 0,
  };
  // Not awaited: the correction is one more command on the budget's connection, queued ahead of
  // any later reservation; the answer need not wait for it. On failure the estimate stands (an
  // upper bound in most cases).
  if (req.budget && reservation && answer.usage)
    req.budget.settle(reservation, answered.promptTokens + answered.completionTokens).catch(() => undefined);
  usage.push(answered);
  req.onAnswer?.(answered);
  if (answer.refusal) {
    throw new PermanentAnalysisError('refusal', 'The AI model declined to analyse this contract.', {
      detail: answer.refusal.slice(0, 500),
    });
  }
  if (answer.finishReason === 'content_filter') {
    throw new PermanentAnalysisError(
      'content_filter',
      "The AI model's content filter stopped the analysis of this contract.",
    );
  }
  if (answer.finishReason === 'length') {
    throw new PermanentAnalysisError(
      'output_too_long',
      'The AI model ran out of output space while analysing this contract.',
    );
  }
  return answer.content;
}

/** An answer sent whole (not streamed), in the shape a streamed one is read into. */
function wholeAnswer(response: ChatCompletion, name: string): StreamedAnswer {
  const choice = response.choices[0];
  if (!choice)
    throw new PermanentAnalysisError('model_error', 'The AI model returned no answer.', {
      detail: name,
    });
  return {
    model: response.model,
    content: choice.message.content ?? '',
    refusal: choice.message.refusal ?? '',
    finishReason: choice.finish_reason,
    usage: response.usage,
  };
}

interface StreamedAnswer {
  model: string;
  content: string;
  refusal: string;
  finishReason: string;
  usage: CompletionUsage | undefined;
}

/**
 * Reads a streamed answer to its end. Only a complete answer comes back: a stream that breaks off,
 * ends without a finish_reason, or outlasts `timeoutMs` is a TransientModelError, and its partial
 * text is dropped (docs/durable-steps.md).
 */
async function readAnswer<T>(
  stream: Stream<ChatCompletionChunk>,
  req: StructuredRequest<T>,
  timeoutMs: number,
): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = { model: '', content: '', refusal: '', finishReason: '', usage: undefined };
  let timedOut = false;
  // Aborting the SDK's controller ends the iteration quietly; the flag tells a timeout from the end.
  const timer = setTimeout(
    () => {
      timedOut = true;
      stream.controller.abort();
    },
    Math.max(0, timeoutMs),
  );
  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<ChatCompletionChunk>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw toStreamError(err, req.signal);
      }
      if (next.done) break;
      const chunk = next.value;
      answer.model ||= chunk.model;
      if (chunk.usage) answer.usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.refusal) answer.refusal += choice.delta.refusal;
      if (choice.finish_reason) answer.finishReason = choice.finish_reason;
      if (choice.delta.content) {
        // A V8 string append is amortized O(1); nothing here looks at the text itself.
        answer.content += choice.delta.content;
        req.onChunk?.(answer.content.length, answer.content);
      }
    }
  } finally {
    clearTimeout(timer);
    // Stops the download when we leave early (an onChunk that threw); a no-op after the end.
    stream.controller.abort();
  }
  if (req.signal?.aborted) throw new AnalysisAbortedError({ cause: req.signal.reason });
  if (timedOut)
    throw new TransientModelError(
      `model request timed out mid-answer after ${answer.content.length} characters`,
      undefined,
    );
  if (!answer.finishReason)
    throw new TransientModelError(
      `model answer ended without finishing, after ${answer.content.length} characters`,
      undefined,
    );
  return answer;
}

type Check<T> = { ok: true; data: T } | { ok: false; error: string };

function validate<T>(content: string, schema: z.ZodType<T>): Check<T> {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    return { ok: false, error: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, error: z.prettifyError(parsed.error).slice(0, 2_000) };
}
