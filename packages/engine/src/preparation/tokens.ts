import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { ContractTooLongError } from '../errors';

// Building the encoder parses a multi-megabyte rank table (~0.5 s); do it once, on first use,
// so importing the engine (e.g. in the web server for pricing) stays cheap.
let encoder: Tiktoken | undefined;

/**
 * BPE merging is quadratic in the length of one pre-token, so a long run without spaces (a bad PDF
 * extraction, or a hostile request) would block the event loop for minutes. Such runs are counted in
 * slices; a slice boundary can only add tokens, so the count stays an upper bound for the budget.
 */
const MAX_RUN = 64;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, 'g');

/** Tokens in o200k_base, the encoding of the gpt-4o / gpt-4.1 / o-series models. */
export function countTokens(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  const enc = encoder;
  // Contracts may contain literal "<|endoftext|>"; count it as text rather than throwing.
  const count = (s: string) => enc.encode(s, [], []).length;
  let tokens = 0;
  let rest = text;
  for (const m of text.matchAll(LONG_RUN)) {
    for (let i = 0; i < m[0].length; i += MAX_RUN) tokens += count(m[0].slice(i, i + MAX_RUN));
  }
  if (tokens > 0) rest = text.replace(LONG_RUN, ' ');
  return tokens + count(rest);
}

/** Returns the token count, or throws ContractTooLongError before any model money is spent. */
export function checkTokenBudget(text: string, maxTokens: number): number {
  const tokens = countTokens(text);
  if (tokens > maxTokens) throw new ContractTooLongError(tokens, maxTokens);
  return tokens;
}
