import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc';

export const systemRouter = {
  /** What the client should tell the user about this deployment. */
  info: publicProcedure.query(({ ctx }) => ({
    simulatedModel: ctx.deps.config.model.simulated,
    purchasesEnabled: ctx.deps.stripe !== null,
    pricing: ctx.deps.config.pricing.tiers,
    maxUploadBytes: ctx.deps.config.pricing.maxUploadBytes,
    maxWords: ctx.deps.config.pricing.maxWords,
  })),
  me: publicProcedure.query(({ ctx }) => ctx.user),
} satisfies TRPCRouterRecord;
