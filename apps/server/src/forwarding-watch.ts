import { type ApiDeps, recordUntrustedForwarding } from '@revmemo/api';
import type { FastifyInstance } from 'fastify';

const HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;
/** Redis is told at most once a minute per process: the doctor needs "recently", not every request. */
const RECORD_EVERY_MS = 60_000;

/**
 * With TRUST_PROXY off, a request carrying forwarding headers most likely came through a proxy
 * (Railway's, a load balancer): every client then has the proxy's address, and the per-address
 * limits (sign-in, sign-up) become site-wide. Count such requests and leave a flag in Redis for
 * `pnpm ops doctor`, which warns with the fix. The headers themselves are still ignored (safe).
 */
export function watchForwardingHeaders(app: FastifyInstance, deps: ApiDeps, onSeen: () => void) {
  if (deps.config.trustProxy !== false) return;
  let lastRecorded = 0;
  app.addHook('onRequest', async (request) => {
    const header = HEADERS.find((h) => request.headers[h] !== undefined);
    if (!header) return;
    onSeen();
    const now = Date.now();
    if (now - lastRecorded < RECORD_EVERY_MS) return;
    lastRecorded = now;
    recordUntrustedForwarding(deps.redis, deps.config.queue.prefix, {
      at: new Date(now).toISOString(),
      header,
      peer: request.ip,
    }).catch((err: unknown) =>
      deps.log.warn({ err_message: String(err) }, 'could not record forwarding headers for ops doctor'),
    );
  });
}
