/**
 * Waiting on a state, never on the clock: every wait names what it waits for, and a state that never
 * comes fails with that name and the last value seen.
 */

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until `accept` holds; returns the accepted value. */
export async function until<T>(
  probe: () => Promise<T> | T,
  accept: (v: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (accept(v)) return v;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(v)?.slice(0, 500)}`,
      );
    }
    await pause(25);
  }
}

/** Polls `check` until it answers true. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  await until(check, (ok) => ok, what, timeoutMs);
}
