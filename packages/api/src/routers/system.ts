import type { TRPCRouterRecord } from '@trpc/server';
import { limitsOf } from '../limits';
import { publicProcedure } from '../trpc';

export const systemRouter = {
  /** What the client should tell the user about this deployment. */
  info: publicProcedure.query(({ ctx }) => ({
    simulatedModel: ctx.deps.config.model.simulated,
    purchasesEnabled: ctx.deps.stripe !== null,
    pricing: ctx.deps.config.pricing.tiers,
    maxUploadBytes: ctx.deps.config.pricing.maxUploadBytes,
    maxWords: ctx.deps.config.pricing.maxWords,
    /** Credits a new account receives once its email is verified. */
    signupCredits: ctx.deps.config.auth.signupCredits,
  })),
  /** Every limit on uploads and inputs, as the server enforces them: clients check these, not their own. */
  limits: publicProcedure.query(({ ctx }) => limitsOf(ctx.deps.config)),
  me: publicProcedure.query(({ ctx }) => ctx.user),
} satisfies TRPCRouterRecord;
