import type { AppErrorData } from '@revmemo/contracts';
import { initTRPC, TRPCError } from '@trpc/server';
import type { Context } from './context';
import { AppError } from './errors';

const t = initTRPC.context<Context>().create({
  sse: {
    // Comments every 10 s keep proxies from closing an idle stream; the client reconnects (with
    // its last event id) when nothing arrived for 25 s, or when the 10-minute cap ends a stream.
    ping: { enabled: true, intervalMs: 10_000 },
    maxDurationMs: 10 * 60_000,
    client: { reconnectAfterInactivityMs: 25_000 },
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
export const publicProcedure = t.procedure;

/** Narrows ctx.user to a signed-in user; anonymous calls get UNAUTHORIZED. */
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' });
  return next({ ctx: { ...ctx, user: ctx.user } });
});
