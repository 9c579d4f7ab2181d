import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AnswerMode,
  answerContent,
  type CompletionRequest,
  completionResponse,
  errorBody,
  isCompletionRequest,
  SIMULATED_MODEL_NAME,
} from './completion';
import { cutAfterFlush, pause, type StreamPacing, type StreamPlan, streamAnswer } from './stream';

/**
 * 'refusal' answers 200 with `message.refusal` set (`delta.refusal` when streamed), as a
 * safety-tuned model declining would; 'drop' closes the connection without answering (a provider's
 * load balancer cutting it); 'cut' sends about half the answer, then destroys the socket (a
 * connection dropped mid-answer); 'stall' sends about half, then stays silent with the connection
 * open (a provider that stops mid-answer).
 */
export type FailureMode =
  | '429'
  | '500'
  | 'timeout'
  | 'malformed'
  | '400'
  | 'refusal'
  | 'drop'
  | 'cut'
  | 'stall';
const FAILURE_MODES: readonly FailureMode[] = [
  '429',
  '500',
  'timeout',
  'malformed',
  '400',
  'refusal',
  'drop',
  'cut',
  'stall',
];

/**
 * Injected failures (POST /__sim/failures). The next `count` requests fail with `mode`; with `step`
 * only requests whose json_schema name contains it count; with `perPrompt` every distinct prompt
 * fails `count` times before it is answered (a provider having a bad minute). `retryAfter`
 * (seconds) and `retryAfterMs` add those headers to 429/500 answers.
 */
export interface FailureRule {
  mode: FailureMode;
  count: number;
  step?: string;
  perPrompt?: boolean;
  retryAfter?: number;
  retryAfterMs?: number;
}

export interface SimulatorOptions extends Partial<StreamPacing> {
  port?: number;
  /** Before the answer starts (a non-streamed answer arrives whole after it). */
  latencyMs?: number;
  /** 'random' answers any json_schema with a seeded random valid instance (for fuzzing consumers). */
  answers?: AnswerMode;
  seed?: string;
}

export interface RecordedCall {
  /** When the request arrived (epoch ms). */
  at: number;
  /** The json_schema name asked for (which pipeline step), when there was one. */
  step: string | null;
  body: unknown;
  outcome: 'ok' | FailureMode | 'client-closed';
  /**
   * The message content sent back (null for error responses and timeouts); for 'cut' and 'stall',
   * the part that was sent before the connection was cut or went quiet.
   */
  content: string | null;
  /** Whether the answer was streamed (the request asked for `stream: true`). */
  streamed?: boolean;
  /**
   * When a 200 answer had been handed to the socket (epoch ms with sub-ms precision), so a benchmark
   * in the same process can time what a client does after the model answered (bench/worker-path.ts).
   */
  answeredAt?: number;
}

export interface ModelSimulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

const REFUSAL = 'I cannot help with that request.';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Recorded requests kept for /__sim/stats; enough for any test, bounded for long dev sessions. */
const MAX_RECORDED = 200;

export async function startModelSimulator(options: SimulatorOptions = {}): Promise<ModelSimulator> {
  const initial = {
    latencyMs: options.latencyMs ?? 0,
    // Streamed answers arrive at once unless asked otherwise: tests stay fast.
    streamMs: options.streamMs ?? 0,
    streamChunks: options.streamChunks ?? 0,
    answers: options.answers ?? 'rules',
    seed: options.seed ?? 'revmemo',
  };
  let config = { ...initial };
  let failure: (FailureRule & { remaining: number; seen: Map<string, number> }) | null = null;
  let calls = 0;
  let recorded: RecordedCall[] = [];

  const record = (r: Omit<RecordedCall, 'at' | 'step'>, at: number): RecordedCall => {
    const call: RecordedCall = { at, step: schemaName(r.body), ...r };
    recorded.push(call);
    if (recorded.length > MAX_RECORDED) recorded = recorded.slice(-MAX_RECORDED);
    return call;
  };

  async function completions(req: IncomingMessage, res: ServerResponse, raw: string) {
    calls++;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, errorBody(400, 'The request body is not valid JSON.'));
    }
    if (!isCompletionRequest(body))
      return sendJson(res, 400, errorBody(400, "'model' and a non-empty 'messages' array are required."));
    const at = Date.now();
    const mode = failure ? takeFailure(failure, body) : null;
    const streamed = body.stream === true;
    if (!(await pause(config.latencyMs, req))) {
      // The client hung up (or died) while the answer was being "generated": it still cost a request.
      record({ body, outcome: 'client-closed', content: null }, at);
      return;
    }
    switch (mode) {
      case 'timeout':
        // Hold the request open until the client gives up (or the simulator closes).
        record({ body, outcome: mode, content: null }, at);
        return;
      case 'drop':
        record({ body, outcome: mode, content: null }, at);
        req.socket.destroy();
        return;
      case '429':
      case '500':
      case '400': {
        record({ body, outcome: mode, content: null }, at);
        const status = Number(mode);
        const headers: Record<string, string> = {};
        if (failure?.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
        if (failure?.retryAfterMs !== undefined) headers['retry-after-ms'] = String(failure.retryAfterMs);
        return sendJson(res, status, errorBody(status, `Simulated ${status} failure.`), headers);
      }
      case 'malformed': {
        const content = '{"this is": not valid JSON';
        record({ body, outcome: mode, content, streamed }, at);
        if (streamed) return void (await stream({ text: content, as: 'content', end: 'complete' }));
        return sendJson(res, 200, completionResponse(body, raw, content));
      }
      case 'refusal': {
        record({ body, outcome: mode, content: null, streamed }, at);
        if (streamed) return void (await stream({ text: REFUSAL, as: 'refusal', end: 'complete' }));
        const response = completionResponse(body, raw, '');
        const choice = response.choices[0];
        if (choice) Object.assign(choice.message, { content: null, refusal: REFUSAL });
        return sendJson(res, 200, response);
      }
      default: {
        let content: string;
        try {
          content = answerContent(body, raw, config.answers, config.seed);
        } catch (err) {
          record({ body, outcome: '500', content: null }, at);
          return sendJson(
            res,
            500,
            errorBody(500, `simulator error: ${err instanceof Error ? err.message : String(err)}`),
          );
        }
        if (mode === 'cut' || mode === 'stall') {
          const call = record({ body, outcome: mode, content: '', streamed }, at);
          if (streamed) call.content = (await stream({ text: content, as: 'content', end: mode })).sent;
          else call.content = await sendHalf(req, res, completionResponse(body, raw, content), mode);
          return;
        }
        const call = record({ body, outcome: 'ok', content, streamed }, at);
        if (streamed) {
          const { clientClosed } = await stream({ text: content, as: 'content', end: 'complete' });
          if (clientClosed) Object.assign(call, { outcome: 'client-closed', content: null });
        } else sendJson(res, 200, completionResponse(body, raw, content));
        call.answeredAt = performance.timeOrigin + performance.now();
        return;
      }
    }

    function stream(plan: StreamPlan) {
      return streamAnswer(req, res, body as CompletionRequest, raw, plan, config);
    }
  }

  async function control(path: string, method: string, raw: string, res: ServerResponse) {
    const input = (raw ? safeJson(raw) : {}) as Record<string, unknown> | null;
    if (input === null || typeof input !== 'object')
      return sendJson(res, 400, { error: 'body must be a JSON object' });
    if (path === '/__sim/failures' && method === 'POST') {
      const mode = input.mode as FailureMode;
      const count = Number(input.count ?? 1);
      const optionalNumber = (v: unknown) => (v === undefined ? undefined : Number(v));
      const rule: FailureRule = {
        mode,
        count,
        step: typeof input.step === 'string' ? input.step : undefined,
        perPrompt: input.perPrompt === true,
        retryAfter: optionalNumber(input.retryAfter),
        retryAfterMs: optionalNumber(input.retryAfterMs),
      };
      if (
        !FAILURE_MODES.includes(mode) ||
        !Number.isInteger(count) ||
        count < 0 ||
        [rule.retryAfter, rule.retryAfterMs].some((v) => v !== undefined && !(v >= 0))
      ) {
        return sendJson(res, 400, {
          error: `mode must be one of ${FAILURE_MODES.join(', ')}, count a non-negative integer, retryAfter/retryAfterMs non-negative numbers`,
        });
      }
      failure = { ...rule, remaining: count, seen: new Map() };
      return sendJson(res, 200, rule);
    }
    if (path === '/__sim/config' && method === 'POST') {
      const problems = ['latencyMs', 'streamMs', 'streamChunks'].filter(
        (key) => input[key] !== undefined && !(Number.isInteger(input[key]) && (input[key] as number) >= 0),
      );
      if (problems.length > 0)
        return sendJson(res, 400, { error: `${problems.join(', ')} must be non-negative integers` });
      if (input.latencyMs !== undefined) config.latencyMs = input.latencyMs as number;
      if (input.streamMs !== undefined) config.streamMs = input.streamMs as number;
      if (input.streamChunks !== undefined) config.streamChunks = input.streamChunks as number;
      if (input.answers === 'rules' || input.answers === 'random') config.answers = input.answers;
      if (typeof input.seed === 'string') config.seed = input.seed;
      return sendJson(res, 200, config);
    }
    if (path === '/__sim/stats' && method === 'GET') {
      const shown = failure && { ...failure, seen: failure.seen.size };
      return sendJson(res, 200, { calls, failure: shown, config, requests: recorded });
    }
    if (path === '/__sim/reset' && method === 'POST') {
      config = { ...initial };
      failure = null;
      calls = 0;
      recorded = [];
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: 'not found' });
  }

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
      const raw = await readBody(req);
      if (path === '/v1/chat/completions' && req.method === 'POST') return await completions(req, res, raw);
      if (path === '/v1/models' && req.method === 'GET') {
        return sendJson(res, 200, {
          object: 'list',
          data: [{ id: SIMULATED_MODEL_NAME, object: 'model', created: 0, owned_by: 'revmemo' }],
        });
      }
      if (path.startsWith('/__sim/')) return await control(path, req.method ?? 'GET', raw, res);
      return sendJson(res, 404, errorBody(404, `Unknown route ${req.method} ${path}`));
    } catch (err) {
      if (!res.headersSent)
        sendJson(res, 500, errorBody(500, err instanceof Error ? err.message : String(err)));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    // An arrow function so callers can pass `sim.close` around unbound.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Requests held open by the 'timeout' failure mode would otherwise keep close() waiting.
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

/**
 * A non-streamed answer cut short: the headers promise the whole body, half of it is sent, then the
 * socket is destroyed ('cut') or left open and silent ('stall'). Returns the part sent.
 */
async function sendHalf(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  mode: 'cut' | 'stall',
): Promise<string> {
  const json = JSON.stringify(body);
  const half = json.slice(0, Math.ceil(json.length / 2));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.write(half);
  if (mode === 'cut') await cutAfterFlush(req, res);
  return half;
}

function schemaName(body: unknown): string | null {
  const format = (body as { response_format?: { json_schema?: { name?: unknown } } } | null)?.response_format;
  const name = format?.json_schema?.name;
  return typeof name === 'string' ? name : null;
}

/** Whether this request fails, and how; counts it against the rule. */
function takeFailure(
  rule: FailureRule & { remaining: number; seen: Map<string, number> },
  body: unknown,
): FailureMode | null {
  if (rule.step && !(schemaName(body) ?? '').includes(rule.step)) return null;
  if (rule.perPrompt) {
    const key = createHash('sha256')
      .update(JSON.stringify((body as { messages?: unknown }).messages ?? null))
      .digest('hex');
    const failed = rule.seen.get(key) ?? 0;
    if (failed >= rule.count) return null;
    rule.seen.set(key, failed + 1);
    return rule.mode;
  }
  if (rule.remaining <= 0) return null;
  rule.remaining--;
  return rule.mode;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
