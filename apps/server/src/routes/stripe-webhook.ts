import { type ApiDeps, handleStripeWebhook } from '@revmemo/api';
import type { FastifyPluginAsync } from 'fastify';

/** Stripe signs the exact bytes it sent, so this route keeps the raw body instead of parsed JSON. */
export const stripeWebhookRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/webhooks/stripe', async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from('');
    const result = await handleStripeWebhook(deps, raw, Array.isArray(signature) ? signature[0] : signature);
    return reply.code(result.status).send(result.body);
  });
};
