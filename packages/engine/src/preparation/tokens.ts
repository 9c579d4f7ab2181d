import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { ContractTooLongError } from '../errors';

// Building the encoder parses a multi-megabyte rank table (~0.5 s); do it once, on first use,
// so importing the engine (e.g. in the web server for pricing) stays cheap.
let encoder: Tiktoken | undefined;

/** Tokens in o200k_base, the encoding of the gpt-4o / gpt-4.1 / o-series models. */
export function countTokens(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  // Contracts may contain literal "<|endoftext|>"; count it as text rather than throwing.
  return encoder.encode(text, [], []).length;
}

/** Returns the token count, or throws ContractTooLongError before any model money is spent. */
export function checkTokenBudget(text: string, maxTokens: number): number {
  const tokens = countTokens(text);
  if (tokens > maxTokens) throw new ContractTooLongError(tokens, maxTokens);
  return tokens;
}
