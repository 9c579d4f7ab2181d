import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header carries METRICS_TOKEN as `Bearer <token>`. SHA-256 digests are
 * compared with timingSafeEqual: equal lengths whatever was sent, and the time taken says nothing
 * about how much of the token was right. The web's /metrics and the worker's listener both use it.
 */
export function metricsAuthorized(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true; // development only: packages/config requires the token in production
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}
