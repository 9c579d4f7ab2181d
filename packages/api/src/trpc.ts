import type { RateLimitName } from '@revmemo/config';
import type { AppErrorData } from '@revmemo/contracts';
import { initTRPC, TRPCError } from '@trpc/server';
import { type Context, limitSubjectOf } from './context';
import { AppError, isDependencyUnavailable, serviceUnavailable } from './errors';

// Pings every 10 s keep proxies from closing an idle stream; the client reconnects (with its last
// event id) when nothing arrived for 25 s, or when the 10-minute cap ends a stream. The progress SSE
// route (progress-sse.ts) uses the same values.
export const SSE_PING_MS = 10_000;
export const SSE_MAX_DURATION_MS = 10 * 60_000;
export const SSE_CLIENT = { reconnectAfterInactivityMs: 25_000 };

const t = initTRPC.context<Context>().create({
  sse: {
    ping: { enabled: true, intervalMs: SSE_PING_MS },
    maxDurationMs: SSE_MAX_DURATION_MS,
    client: SSE_CLIENT,
  },
  errorFormatter({ shape, error }) {
    const appError: AppErrorData | null = error.cause instanceof AppError ? error.cause.data : null;
    const { stack: _stack, ...data } = shape.data;
    // Unexpected errors can quote SQL and its parameters: log them (app.ts onError), never send them.
    const message =
      error.code === 'INTERNAL_SERVER_ERROR'
        ? 'Something went wrong on our side; please try again.'
        : shape.message;
    return { ...shape, message, data: { ...data, appError } };
  },
});

export const createTRPCRouter = t.router;

/**
 * A call that failed because PostgreSQL or Redis is unreachable (a restart, a failover) answers
 * SERVICE_UNAVAILABLE (HTTP 503 with Retry-After, see apps/server) instead of a 500: clients retry it.
 */
const unavailableIsRetryable = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && isDependencyUnavailable(result.error))
    throw serviceUnavailable(result.error.cause ?? result.error);
  return result;
});

export const publicProcedure = t.procedure.use(unavailableIsRetryable);

/** Narrows ctx.user to a signed-in user; anonymous calls get UNAUTHORIZED. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/**
 * A signed-in procedure under the named account limit (docs/limits.md): each call is counted in
 * Redis against the API key or the account before it runs; over the budget it is refused with
 * TOO_MANY_REQUESTS (429 + Retry-After) and does nothing.
 */
export const limitedProcedure = (name: RateLimitName) =>
  protectedProcedure.use(async ({ ctx, next }) => {
    await ctx.deps.rateLimits.consume(name, limitSubjectOf(ctx));
    return next();
  });
