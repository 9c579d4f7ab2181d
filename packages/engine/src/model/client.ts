import OpenAI from 'openai';

export interface ModelClientOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  timeoutMs: number;
}

/**
 * The SDK's own retries are off: BullMQ retries the whole job with backoff, and retrying inside
 * a job as well would multiply attempts and hold the job's lock through the waits.
 */
export function createModelClient({ apiKey, baseUrl, timeoutMs }: ModelClientOptions): OpenAI {
  return new OpenAI({ apiKey, baseURL: baseUrl ?? null, timeout: timeoutMs, maxRetries: 0 });
}
