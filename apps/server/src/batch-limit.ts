import type { FastifyInstance } from 'fastify';

/**
 * A tRPC batch (`/trpc/a,b,c?batch=1`) runs every call it names in one request: without a cap one
 * request could carry hundreds of calls past every per-call limit. Larger batches are refused with
 * 400 BAD_REQUEST naming the maximum, in tRPC's error envelope so tRPC clients report it on every
 * call of the batch (docs/limits.md). 400, not 429: waiting does not help, sending fewer calls does.
 */
export function refuseOversizedBatches(app: FastifyInstance, maxBatchSize: number) {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/trpc/')) return;
    const url = new URL(request.url, 'http://x');
    if (url.searchParams.get('batch') !== '1') return;
    const size = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',').length;
    if (size <= maxBatchSize) return;
    const message = `A batch may carry at most ${maxBatchSize} calls; this one has ${size}. Send fewer calls per request.`;
    return reply.code(400).send({
      error: {
        message,
        code: -32600,
        data: {
          code: 'BAD_REQUEST',
          httpStatus: 400,
          appError: { code: 'BATCH_TOO_LARGE', size, maxBatchSize },
        },
      },
    });
  });
}
