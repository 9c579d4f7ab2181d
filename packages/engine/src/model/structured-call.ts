import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { PermanentAnalysisError, TransientModelError } from '../errors';
import type { JsonSchema } from '../steps/strict-schema';
import { estimateRequestTokens, type ModelBudget, waitForBudget } from './budget';
import { retryAfterOf, toAnalysisError } from './classify';

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
  /** The shared rate budget every request waits for first (docs/capacity.md); absent, none. */
  budget?: ModelBudget | undefined;
  /** Cuts a wait for budget short (a stopping worker hands the job back instead of waiting). */
  waitSignal?: AbortSignal | undefined;
  /** Told once when a request has to wait a noticeable time for budget. */
  onBudgetWait?: ((until: Date) => Promise<void>) | undefined;
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
  let response: ChatCompletion;
  const reservation = req.budget
    ? await waitForBudget(req.budget, estimateRequestTokens(messages), {
        signal: req.waitSignal ?? req.signal,
        onWait: req.onBudgetWait,
      })
    : undefined;
  try {
    response = await req.client.chat.completions.create(
      {
        model: req.model,
        messages,
        // Fixed so a retry or a re-run gives the same memo as far as the provider allows.
        temperature: 0,
        response_format: {
          type: 'json_schema',
          json_schema: { name: req.name, strict: true, schema: req.jsonSchema },
        },
      },
      { signal: req.signal ?? null },
    );
  } catch (err) {
    const failure = toAnalysisError(err, req.signal);
    // A 429 means the shared budget is above what the provider allows right now: slow every worker.
    if (req.budget && failure instanceof TransientModelError && failure.status === 429)
      await req.budget.rateLimited(retryAfterOf(err)).catch(() => undefined);
    throw failure;
  }
  const answered: CallUsage = {
    model: response.model || req.model,
    promptTokens: response.usage?.prompt_tokens ?? 0,
    completionTokens: response.usage?.completion_tokens ?? 0,
  };
  // Not awaited: the correction is one more command on the budget's connection, queued ahead of
  // any later reservation; the answer need not wait for it. On failure the estimate stands (an
  // upper bound in most cases).
  if (req.budget && reservation && response.usage)
    req.budget.settle(reservation, answered.promptTokens + answered.completionTokens).catch(() => undefined);
  usage.push(answered);
  req.onAnswer?.(answered);
  const choice = response.choices[0];
  if (!choice)
    throw new PermanentAnalysisError('model_error', 'The AI model returned no answer.', { detail: req.name });
  if (choice.message.refusal) {
    throw new PermanentAnalysisError('refusal', 'The AI model declined to analyse this contract.', {
      detail: choice.message.refusal.slice(0, 500),
    });
  }
  if (choice.finish_reason === 'content_filter') {
    throw new PermanentAnalysisError(
      'content_filter',
      "The AI model's content filter stopped the analysis of this contract.",
    );
  }
  if (choice.finish_reason === 'length') {
    throw new PermanentAnalysisError(
      'output_too_long',
      'The AI model ran out of output space while analysing this contract.',
    );
  }
  return choice.message.content ?? '';
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
