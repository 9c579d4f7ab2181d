import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** The built React app (apps/web/dist), with index.html for every client-side route. */
export const webRoutes: FastifyPluginAsync<{ distDir?: string }> = async (app, opts) => {
  const root = opts.distDir ?? resolve(import.meta.dirname, '../../../web/dist');
  if (!existsSync(resolve(root, 'index.html'))) {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/plain')
        .send(
          'The web app is not built yet: run `pnpm --filter @revmemo/web build` (pnpm dev does it for you).',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, { root, wildcard: false, maxAge: '1h', immutable: false });
  app.setNotFoundHandler((request, reply) => {
    const apiPath = /^\/(trpc|api|webhooks|healthz|readyz|metrics|admin)(\/|$)/.test(request.url);
    if (request.method === 'GET' && !apiPath)
      return reply.type('text/html').sendFile('index.html', { maxAge: 0 });
    return reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}` } });
  });
};
