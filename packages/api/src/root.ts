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
