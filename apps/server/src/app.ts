import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import {
  type ApiDeps,
  type AppRouter,
  appRouter,
  createContext,
  isDependencyUnavailable,
  limitsOf,
  RETRY_AFTER_SECONDS,
  retryAfterOfError,
  SERVICE_UNAVAILABLE_MESSAGE,
  toFetchHeaders,
} from '@revmemo/api';
import { TRPCError } from '@trpc/server';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { contentSecurityPolicy } from './csp';
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
    // JSON bodies (a pasted contract is at most 2 M characters); uploads have their own multipart limits.
    bodyLimit: 8 * 1024 * 1024,
    // On shutdown SSE streams are cut so clients reconnect (with their last event id) to another instance.
    forceCloseConnections: true,
    // Only configured proxies may set X-Forwarded-For; otherwise anyone could dodge the rate limits.
    trustProxy: toTrustProxy(deps.config.trustProxy),
  });

  // Unexpected errors are logged with a request id; the client gets the id, never the internals.
  // PostgreSQL or Redis unreachable (a restart): 503 with Retry-After, which clients retry by themselves.
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if ((err instanceof TRPCError && err.code === 'SERVICE_UNAVAILABLE') || isDependencyUnavailable(err)) {
      deps.log.warn(
        { reqId: request.id, url: request.url, err_message: dependencyMessage(err) },
        'request answered 503: a dependency is unreachable',
      );
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ error: { code: 'SERVICE_UNAVAILABLE', message: SERVICE_UNAVAILABLE_MESSAGE } });
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      deps.log.error({ err, reqId: request.id, url: request.url }, 'request failed');
      return reply.code(500).send({
        error: { code: 'INTERNAL_SERVER_ERROR', message: `Something went wrong (request ${request.id}).` },
      });
    }
    return reply.code(status).send({ error: { code: err.name, message: err.message } });
  });

  await app.register(helmet, {
    contentSecurityPolicy: contentSecurityPolicy(deps.config.http.websiteUrl),
    crossOriginEmbedderPolicy: false,
  });
  await app.register(rateLimit, { global: false });
  const limits = limitsOf(deps.config);
  await app.register(multipart, {
    limits: {
      fileSize: limits.maxUploadBytes,
      files: limits.maxFiles,
      fields: 10,
      // Bytes: UTF-8 takes up to 4 per character; the route checks the characters.
      fieldSize: limits.maxContextChars * 4,
    },
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
        else if (error.code === 'SERVICE_UNAVAILABLE')
          deps.log.warn(
            { path, err_message: dependencyMessage(error) },
            'tRPC call answered 503: a dependency is unreachable',
          );
      },
      // SERVICE_UNAVAILABLE is HTTP 503 and a limit's refusal 429; Retry-After tells clients (and
      // proxies) when to try again: the longest wait any error in the batch asks for.
      responseMeta({ errors }) {
        const waits = errors.map((e) =>
          e.code === 'SERVICE_UNAVAILABLE' ? RETRY_AFTER_SECONDS : (retryAfterOfError(e) ?? 0),
        );
        const wait = Math.max(0, ...waits);
        return wait > 0 ? { headers: { 'retry-after': String(wait) } } : {};
      },
    },
  } satisfies FastifyTRPCPluginOptions<AppRouter>);

  await app.register(webRoutes, { distDir: webDistDir });

  return app;
}

/** The driver's own words (ECONNREFUSED, CONNECTION_ENDED, …), innermost first. */
function dependencyMessage(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 6 && (e as { cause?: unknown })?.cause; i++) e = (e as { cause?: unknown }).cause;
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  return [code, message].filter((x) => typeof x === 'string' && x).join(': ') || String(e);
}

/** A hop count trusts that many proxies in front of us; addresses and booleans pass through. */
function toTrustProxy(v: boolean | number | string[]) {
  return typeof v === 'number' ? (_address: string, hop: number) => hop < v : v;
}
