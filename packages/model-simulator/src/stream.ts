import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CompletionRequest, completionId, SIMULATED_MODEL_NAME, usageFor } from './completion';

/** How a streamed answer is paced (POST /__sim/config, startModelSimulator options, the CLI). */
export interface StreamPacing {
  /** How long one answer takes to stream, after `latencyMs`; 0 sends it all at once. */
  streamMs: number;
  /** How many content chunks an answer is split into; 0 means about one per token (4 characters). */
  streamChunks: number;
}

/**
 * How the stream ends: 'complete' as a provider does; 'cut' sends about half the answer and then
 * destroys the socket (a connection dropped mid-answer); 'stall' sends about half and then goes
 * quiet with the connection open (a provider that stops mid-answer).
 */
type StreamEnd = 'complete' | 'cut' | 'stall';

export interface StreamPlan {
  text: string;
  /** Refusals arrive as `delta.refusal`, answers as `delta.content`. */
  as: 'content' | 'refusal';
  end: StreamEnd;
}

/** What went out: the text sent, and whether the client hung up before the end. */
export interface StreamOutcome {
  sent: string;
  clientClosed: boolean;
}

const CHARS_PER_TOKEN = 4;

/** `text` in `count` pieces of near-equal length (fewer when the text is shorter than `count`). */
function splitPieces(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(count, text.length));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++)
    pieces.push(text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)));
  return pieces;
}

function chunkCount(text: string, pacing: StreamPacing): number {
  return pacing.streamChunks > 0 ? pacing.streamChunks : Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * Answers as OpenAI's Chat Completions streaming does: `data: <chat.completion.chunk>` events, the
 * first with the role, then the deltas, then one with finish_reason, then (with
 * stream_options.include_usage) one with no choices and the usage, then `data: [DONE]`.
 */
export async function streamAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  body: CompletionRequest,
  raw: string,
  plan: StreamPlan,
  pacing: StreamPacing,
): Promise<StreamOutcome> {
  const includeUsage = body.stream_options?.include_usage === true;
  const base = {
    id: completionId(raw),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: SIMULATED_MODEL_NAME,
    system_fingerprint: 'revmemo-simulator',
  };
  const event = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage } : {}) })}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  res.write(
    event([choice({ role: 'assistant', content: plan.as === 'content' ? '' : null, refusal: null })]),
  );

  const pieces = splitPieces(plan.text, chunkCount(plan.text, pacing));
  const sending = plan.end === 'complete' ? pieces.length : Math.ceil(pieces.length / 2);
  let sent = '';
  const started = performance.now();
  for (let i = 0; i < sending; i++) {
    if (pacing.streamMs > 0) {
      // Due times from the start, so a late timer is caught up by sending the next pieces at once.
      const ahead = started + (pacing.streamMs * (i + 1)) / pieces.length - performance.now();
      if (ahead >= 1 && !(await pause(ahead, req))) return { sent, clientClosed: true };
    }
    if (res.destroyed) return { sent, clientClosed: true };
    const piece = pieces[i] ?? '';
    res.write(event([choice({ [plan.as]: piece })]));
    sent += piece;
  }
  if (plan.end === 'cut') {
    await cutAfterFlush(req, res);
    return { sent, clientClosed: false };
  }
  // 'stall': the connection stays open and silent until the client gives up (or the simulator closes).
  if (plan.end === 'stall') return { sent, clientClosed: false };
  res.write(event([choice({}, 'stop')]));
  if (includeUsage) res.write(event([], usageFor(body, plan.text)));
  res.end('data: [DONE]\n\n');
  return { sent, clientClosed: false };
}

/**
 * Destroys the connection once what was written has left the process, so the client really gets
 * the first half before the connection drops (destroying at once would discard the buffered half).
 */
export function cutAfterFlush(req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    res.write('', () => {
      req.socket.destroy();
      resolve();
    });
  });
}

/** Resolves false if the client hung up during the pause, so nothing is written to a dead socket. */
export function pause(ms: number, req: IncomingMessage): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    req.socket.once('close', onClose);
  });
}
