import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { analysisRouter } from './routers/analysis';
import { creditsRouter } from './routers/credits';
import { systemRouter } from './routers/system';
import { createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  analysis: analysisRouter,
  credits: creditsRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

/** What each procedure takes and returns, for clients that import only types (e.g. apps/web). */
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
