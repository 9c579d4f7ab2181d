import { type ApiDeps, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE, toFetchHeaders } from '@revmemo/api';
import type { FastifyPluginAsync } from 'fastify';

/** Better Auth speaks Fetch: translate the Fastify request in and the Response back out. */
export const authRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.route({
    method: ['GET', 'POST'],
    url: '/api/auth/*',
    config: { rateLimit: { max: 60, timeWindow: '1 minute' } },
    async handler(request, reply) {
      const url = new URL(request.url, deps.config.http.websiteUrl);
      const body =
        request.body === undefined
          ? undefined
          : typeof request.body === 'string'
            ? request.body
            : JSON.stringify(request.body);
      const headers = toFetchHeaders(request.headers);
      // Better Auth rate-limits by X-Forwarded-For; hand it the address Fastify trusts (TRUST_PROXY).
      headers.set('x-forwarded-for', request.ip);
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
