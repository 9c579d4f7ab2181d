import {
  type ApiDeps,
  createProgressSse,
  isDependencyUnavailable,
  PROGRESS_PATH,
  RETRY_AFTER_SECONDS,
  SERVICE_UNAVAILABLE_MESSAGE,
} from '@revmemo/api';
import type { FastifyPluginAsync } from 'fastify';

/**
 * GET /trpc/analysis.progress, answered by the hand-written SSE stream (packages/api/src/progress-sse.ts)
 * rather than tRPC's handler: same wire format, a fraction of the cost per watcher
 * (docs/progress-transport.md). A static route wins over the tRPC plugin's `/trpc/:path`.
 */
export const progressRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const sse = createProgressSse(deps);
  app.addHook('onClose', async () => sse.close());

  app.get(`/trpc/${PROGRESS_PATH}`, async (request, reply) => {
    // Security headers set by earlier hooks (helmet) go out with the stream.
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) reply.raw.setHeader(name, value);
    reply.hijack();
    const res = reply.raw;
    try {
      await sse.handle(request.raw, res, new URL(request.url, 'http://localhost'));
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      // Only the session lookup can throw here (before any byte): a dependency outage is a 503.
      const unavailable = isDependencyUnavailable(err);
      if (!unavailable) deps.log.error({ err, reqId: request.id, url: request.url }, 'request failed');
      res.writeHead(unavailable ? 503 : 500, {
        'content-type': 'application/json',
        ...(unavailable && { 'retry-after': String(RETRY_AFTER_SECONDS) }),
      });
      res.end(
        JSON.stringify({
          error: unavailable
            ? { code: 'SERVICE_UNAVAILABLE', message: SERVICE_UNAVAILABLE_MESSAGE }
            : { code: 'INTERNAL_SERVER_ERROR', message: `Something went wrong (request ${request.id}).` },
        }),
      );
    }
  });
};
