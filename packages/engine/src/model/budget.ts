import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { AnalysisAbortedError } from '../errors';
import { countTokens } from '../preparation/tokens';
import { sleep } from './retry';

/**
 * The provider's rate limits as one budget shared by every worker process (docs/capacity.md). The
 * engine only knows this interface; the Redis implementation lives in @revmemo/queue, so the engine
 * still touches no database and no queue.
 */
export interface ModelBudget {
  /** Reserves one request of `tokens` now, or says how long until the budget may allow it. */
  tryTake(tokens: number): Promise<{ granted: true; id: string } | { granted: false; retryInMs: number }>;
  /** Corrects a reservation to what the answer really cost (prompt + completion tokens). */
  settle(id: string, tokens: number): Promise<void>;
  /** The provider answered 429: every worker pauses for `retryAfterMs` and the budget shrinks for a while. */
  rateLimited(retryAfterMs: number | undefined): Promise<void>;
}

/**
 * Output tokens reserved per request before the answer says how many it used: the step answers are
 * a few hundred to about two thousand tokens. Providers count the output against the same limit.
 */
const OUTPUT_TOKENS_ESTIMATE = 1_500;
/** Waits shorter than this are not worth a line on the bar. */
const SHOW_WAIT_FROM_MS = 2_000;
/** Poll at most this long between checks, so a freed budget is noticed soon. */
const MAX_POLL_MS = 2_000;

/** Tokens a request will cost, with the tokenizer used for quoting (o200k). */
export function estimateRequestTokens(messages: ChatCompletionMessageParam[]): number {
  let tokens = OUTPUT_TOKENS_ESTIMATE;
  for (const m of messages) {
    // A few tokens of framing per message, as the provider counts them.
    tokens += 4 + (typeof m.content === 'string' ? cachedCount(m.content) : 0);
  }
  return tokens;
}

// The contract block is the same in all five steps of a run (and long): count it once.
const counted = new Map<string, number>();
function cachedCount(text: string): number {
  if (text.length < 2_000) return countTokens(text);
  const hit = counted.get(text);
  if (hit !== undefined) return hit;
  const n = countTokens(text);
  if (counted.size >= 64) counted.delete(counted.keys().next().value as string);
  counted.set(text, n);
  return n;
}

/**
 * Waits until the shared budget grants the request; `onWait` is told once, when the wait is long
 * enough to show. Returns the reservation id for `settle`.
 */
export async function waitForBudget(
  budget: ModelBudget,
  tokens: number,
  opts: { signal?: AbortSignal | undefined; onWait?: ((until: Date) => Promise<void>) | undefined },
): Promise<string> {
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) throw new AnalysisAbortedError({ cause: opts.signal.reason });
    const answer = await budget.tryTake(tokens);
    if (answer.granted) return answer.id;
    if (!told && answer.retryInMs >= SHOW_WAIT_FROM_MS) {
      told = true;
      await opts.onWait?.(new Date(Date.now() + answer.retryInMs));
    }
    // A little jitter so workers that wait for the same moment do not all ask at once.
    await sleep(Math.min(MAX_POLL_MS, answer.retryInMs) + Math.random() * 50, opts.signal);
  }
}
