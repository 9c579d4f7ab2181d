/**
 * Redis commands on a connection with `maxRetriesPerRequest: null` (what BullMQ needs) wait for
 * Redis to come back instead of failing. Where a caller must answer now, race them against a clock.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
