import { createHash } from 'node:crypto';
import { type ChatMessage, contractSections, messageText } from './contract-text';
import { instanceFromSchema } from './json-instance';
import { seededRandom, seedFrom } from './random';
import { ruleAnswer } from './rules';

/** The model name the simulator answers with; equal to SIMULATED_MODEL in @revmemo/config (a test checks). */
export const SIMULATED_MODEL_NAME = 'revmemo-simulated';

export type AnswerMode = 'rules' | 'random';

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  response_format?: { type?: string; json_schema?: { name?: string; schema?: unknown } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
}

export function isCompletionRequest(body: unknown): body is CompletionRequest {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.model === 'string' && Array.isArray(b.messages) && b.messages.length > 0;
}

/** The answer text: a pure function of the request (and the seed in random mode). */
export function answerContent(req: CompletionRequest, raw: string, mode: AnswerMode, seed: string): string {
  const format = req.response_format;
  if (format?.type === 'json_schema') {
    const name = format.json_schema?.name ?? '';
    const schema = format.json_schema?.schema ?? {};
    if (mode === 'random')
      return JSON.stringify(instanceFromSchema(schema, seededRandom(seedFrom(seed, raw))));
    const known = ruleAnswer(name, contractSections(req.messages));
    return JSON.stringify(known ?? instanceFromSchema(schema));
  }
  if (format?.type === 'json_object') return '{}';
  const last = req.messages.at(-1);
  const words = messageText(last?.content).split(/\s+/).filter(Boolean).length;
  return `This is a simulated reply from ${SIMULATED_MODEL_NAME}; your message had ${words} words.`;
}

/** Tokens counted as characters / 4, the usual rule of thumb for English. */
export function usageFor(req: CompletionRequest, content: string) {
  const promptChars = req.messages.reduce((n, m) => n + messageText(m.content).length, 0);
  const promptTokens = Math.ceil(promptChars / 4);
  const completionTokens = Math.ceil(content.length / 4);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export function completionId(raw: string): string {
  return `chatcmpl-sim-${createHash('sha256').update(raw).digest('hex').slice(0, 24)}`;
}

export function completionResponse(req: CompletionRequest, raw: string, content: string) {
  return {
    id: completionId(raw),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: SIMULATED_MODEL_NAME,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usageFor(req, content),
  };
}

export function errorBody(status: number, message: string) {
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const code = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request';
  return { error: { message, type, param: null, code } };
}
