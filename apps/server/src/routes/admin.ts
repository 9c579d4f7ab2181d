import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { type ApiDeps, createContext, toFetchHeaders } from '@revmemo/api';
import type { FastifyPluginAsync } from 'fastify';
import { ADMIN_CSP } from '../csp';

const ADMIN_QUEUES_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues for admins only (`pnpm ops users:admin --email E`). The session is the
 * same Better Auth cookie (or API key) the app uses; the check runs before every board route,
 * including its JSON API and static files, so nothing about the queue leaks to other users.
 */
export const adminRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  app.addHook('onRequest', async (req, reply) => {
    const { user } = await createContext(deps, toFetchHeaders(req.headers));
    if (!user) return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'Sign in first.' } });
    if (user.role !== 'admin')
      return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'Admins only.' } });
  });

  // This plugin's scope only: the board's own HTML needs inline styles (see ../csp.ts).
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', ADMIN_CSP);
    return payload;
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({ queues: [new BullMQAdapter(deps.queue)], serverAdapter });
  await app.register(serverAdapter.registerPlugin(), { prefix: ADMIN_QUEUES_PATH });
};
