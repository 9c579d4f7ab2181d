import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { type ApiDeps, type AppRouter, appRouter, createContext, toFetchHeaders } from '@revmemo/api';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { quoteRoutes } from './routes/quotes';
import { stripeWebhookRoutes } from './routes/stripe-webhook';
import { webRoutes } from './routes/web';

export interface BuildOptions {
  deps: ApiDeps;
  logger?: boolean | object;
  /** Where the built web app lives; defaults to apps/web/dist. */
  webDistDir?: string;
  /** Where /metrics reads from (see createServerMetrics); a bare registry when omitted. */
  registry?: Registry;
}

/** The HTTP host: Better Auth, tRPC (batched calls and SSE subscriptions), uploads, webhooks, health, ops. */
export async function buildServer({
  deps,
  logger = false,
  webDistDir,
  registry = new Registry(),
}: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    // tRPC batches put many inputs in the URL.
    routerOptions: { maxParamLength: 5_000 },
    bodyLimit: deps.config.pricing.maxUploadBytes * 5 + 1024 * 1024,
    // On shutdown SSE streams are cut so clients reconnect (with their last event id) to another instance.
    forceCloseConnections: true,
    trustProxy: true,
  });

  await app.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  await app.register(rateLimit, { global: false });
  await app.register(multipart, {
    limits: { fileSize: deps.config.pricing.maxUploadBytes, files: 10, fields: 10, fieldSize: 100_000 },
  });

  await app.register(healthRoutes, { deps });
  await app.register(metricsRoutes, { deps, registry });
  await app.register(adminRoutes, { deps });
  await app.register(authRoutes, { deps });
  await app.register(quoteRoutes, { deps });
  await app.register(stripeWebhookRoutes, { deps });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }) => createContext(deps, toFetchHeaders(req.headers)),
      onError({ path, error }) {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          deps.log.error({ path, err: error.cause ?? error }, 'tRPC internal error');
      },
    },
  } satisfies FastifyTRPCPluginOptions<AppRouter>);

  await app.register(webRoutes, { distDir: webDistDir });

  return app;
}
