import { SIMULATED_MODEL } from '@revmemo/config';

/** USD per million tokens [input, output], from the provider's public price list. */
const PRICES: [prefix: string, input: number, output: number][] = [
  ['gpt-4.1-nano', 0.1, 0.4],
  ['gpt-4.1-mini', 0.4, 1.6],
  ['gpt-4.1', 2, 8],
  ['gpt-4o-mini', 0.15, 0.6],
  ['gpt-4o', 2.5, 10],
  ['o4-mini', 1.1, 4.4],
  ['o3', 2, 8],
];
/** Unknown models are priced like gpt-4.1 so cost dashboards over- rather than under-report. */
const FALLBACK: [number, number] = [2, 8];

export function estimateCostUsd(model: string, promptTokens: number, completionTokens: number): number {
  if (model.startsWith(SIMULATED_MODEL)) return 0;
  const hit = PRICES.find(([prefix]) => model.startsWith(prefix));
  const [input, output] = hit ? [hit[1], hit[2]] : FALLBACK;
  return Math.round(((promptTokens * input + completionTokens * output) / 1e6) * 1e6) / 1e6;
}
