import { describeEnv, readEnv, SIMULATED_MODEL } from '@revmemo/config';

/**
 * The model settings an evaluation needs, read like the rest of the product reads them
 * (`readEnv` is the one place the environment is read, `describeEnv` applies the config's own
 * validation), but without requiring a database or Redis: the evaluation uses neither.
 */
export interface EvalSettings {
  /** Unset: run against the in-process simulator. */
  apiKey: string | undefined;
  baseUrl: string | undefined;
  model: string;
  timeoutMs: number;
  maxContextTokens: number;
}

const MODEL_VARIABLES = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_MODEL',
  'MODEL_TIMEOUT_MS',
  'MODEL_MAX_CONTEXT_TOKENS',
] as const;

export class SettingsError extends Error {}

export function readEvalSettings(env: Record<string, string | undefined> = readEnv()): EvalSettings {
  const status = describeEnv(env);
  const problems = MODEL_VARIABLES.flatMap((name) => {
    const s = status[name];
    // An unset key is not a problem here: it selects the simulator.
    if (name === 'OPENAI_API_KEY' && !s?.set) return [];
    return s?.problem ? [`${name} ${s.problem}`] : [];
  });
  if (problems.length) throw new SettingsError(problems.join('\n'));
  const value = (name: (typeof MODEL_VARIABLES)[number]) =>
    status[name]?.set ? env[name]?.trim() : undefined;
  const apiKey = value('OPENAI_API_KEY');
  return {
    apiKey,
    baseUrl: apiKey ? value('OPENAI_BASE_URL') : undefined,
    model: apiKey ? (value('OPENAI_MODEL') ?? 'gpt-4.1') : SIMULATED_MODEL,
    timeoutMs: Number(value('MODEL_TIMEOUT_MS') ?? 120_000),
    maxContextTokens: Number(value('MODEL_MAX_CONTEXT_TOKENS') ?? 100_000),
  };
}
