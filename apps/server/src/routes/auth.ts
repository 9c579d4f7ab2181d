import {
  type ApiDeps,
  AppError,
  createContext,
  type LimitSubject,
  limitSubjectOf,
  RETRY_AFTER_SECONDS,
  retryAfterOfError,
  SERVICE_UNAVAILABLE_MESSAGE,
  toFetchHeaders,
} from '@revmemo/api';
import type { RateLimitName } from '@revmemo/config';
import { TRPCError } from '@trpc/server';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';

/**
 * The account limits on Better Auth's routes (docs/limits.md), counted in Redis like every other
 * limit: sign-in and sign-up per client address and per email address tried, API key creation per
 * account, everything else per address. Better Auth's own in-memory limiter is off (auth.ts).
 */
async function authLimits(
  deps: ApiDeps,
  request: FastifyRequest,
  path: string,
): Promise<[RateLimitName, LimitSubject[]][]> {
  // The session check is a read the web app makes on every page load and focus, like the unlimited
  // tRPC queries; counting it would lock out many users behind one address (an office's NAT).
  if (request.method === 'GET' && path === 'get-session') return [];
  const address: LimitSubject = { address: request.ip };
  const body = request.body as { email?: unknown } | undefined;
  const email: LimitSubject[] =
    typeof body?.email === 'string' && body.email.trim() ? [{ email: body.email }] : [];
  if (request.method === 'POST' && path.startsWith('sign-in/'))
    return [
      ['signInAddress', [address]],
      ['signInEmail', email],
    ];
  if (request.method === 'POST' && path.startsWith('sign-up/'))
    return [
      ['signUpAddress', [address]],
      ['signUpEmail', email],
    ];
  if (request.method === 'POST' && path === 'api-key/create') {
    const ctx = await createContext(deps, toFetchHeaders(request.headers), request.ip);
    // Anonymous: Better Auth answers 401; count it against the address like any other request.
    if (ctx.user) return [['apiKeyCreate', [limitSubjectOf(ctx)]]];
  }
  // Mail-sending flows (password reset, verification) name the recipient: an inbox must not be
  // flooded from many addresses.
  if (request.method === 'POST' && email.length > 0)
    return [
      ['authAddress', [address]],
      ['authEmail', email],
    ];
  return [['authAddress', [address]]];
}

/** Better Auth speaks Fetch: translate the Fastify request in and the Response back out. */
export const authRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.route({
    method: ['GET', 'POST'],
    url: '/api/auth/*',
    async handler(request, reply) {
      const url = new URL(request.url, deps.config.http.websiteUrl);
      const path = url.pathname.replace(/^\/api\/auth\//, '');
      try {
        for (const [name, subjects] of await authLimits(deps, request, path))
          await deps.rateLimits.consume(name, ...subjects);
      } catch (err) {
        if (!(err instanceof TRPCError) || err.code !== 'TOO_MANY_REQUESTS') throw err;
        // Better Auth's error shape ({ code, message }), so its client shows the message with the wait.
        return reply
          .code(429)
          .header('retry-after', String(retryAfterOfError(err) ?? RETRY_AFTER_SECONDS))
          .send({
            code: 'RATE_LIMITED',
            message: err.message,
            appError: err.cause instanceof AppError ? err.cause.data : null,
          });
      }
      const body =
        request.body === undefined
          ? undefined
          : typeof request.body === 'string'
            ? request.body
            : JSON.stringify(request.body);
      const headers = toFetchHeaders(request.headers);
      // Better Auth reads the client address from X-Forwarded-For (sessions record it); hand it
      // the address Fastify trusts (TRUST_PROXY).
      headers.set('x-forwarded-for', request.ip);
      // The browser's own session check reads the stored session, never the cookie cache, so a
      // revoked session (sign-out elsewhere, password reset) is gone at once (see api/context.ts).
      if (path === 'get-session') url.searchParams.set('disableCookieCache', 'true');
      const response = await deps.auth.handler(new Request(url, { method: request.method, headers, body }));
      // Better Auth turns a database error into a plain 500; while PostgreSQL is unreachable (a
      // restart) that is a 503 the browser retries, like every other API call.
      if (response.status >= 500 && !(await deps.postgresReachable())) {
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .send({ error: { code: 'SERVICE_UNAVAILABLE', message: SERVICE_UNAVAILABLE_MESSAGE } });
      }
      reply.status(response.status);
      response.headers.forEach((value, key) => {
        if (key !== 'set-cookie') reply.header(key, value);
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) reply.header('set-cookie', cookies);
      return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null);
    },
  });
};
