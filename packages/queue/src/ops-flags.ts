import type { Redis } from 'ioredis';

/**
 * Facts a web process records for `pnpm ops doctor`, which runs elsewhere (a one-off shell) and can
 * only learn what the servers saw through Redis.
 */
const DAY_SECONDS = 24 * 3_600;

/** Set while some web process saw X-Forwarded-For (or Forwarded) with TRUST_PROXY off, in the last day. */
function untrustedForwardingKey(prefix: string): string {
  return `${prefix}:ops:untrusted-forwarding`;
}

export interface UntrustedForwarding {
  /** When it was last seen (ISO time). */
  at: string;
  /** Which header arrived: x-forwarded-for, forwarded or x-real-ip. */
  header: string;
  /** The peer address the request came from: the proxy's, which every client then shares. */
  peer: string;
}

export async function recordUntrustedForwarding(redis: Redis, prefix: string, seen: UntrustedForwarding) {
  await redis.set(untrustedForwardingKey(prefix), JSON.stringify(seen), 'EX', DAY_SECONDS);
}

export async function readUntrustedForwarding(
  redis: Redis,
  prefix: string,
): Promise<UntrustedForwarding | null> {
  const raw = await redis.get(untrustedForwardingKey(prefix));
  if (!raw) return null;
  try {
    return JSON.parse(raw) as UntrustedForwarding;
  } catch {
    return null;
  }
}
