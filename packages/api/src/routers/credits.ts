import { CheckoutInputSchema, HistoryInputSchema } from '@revmemo/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { createCreditsService } from '../services/credits.service';
import { protectedProcedure } from '../trpc';

export const creditsRouter = {
  balance: protectedProcedure.query(({ ctx }) => createCreditsService(ctx.deps).balance(ctx.user.id)),

  history: protectedProcedure
    .input(HistoryInputSchema)
    .query(({ ctx, input }) => createCreditsService(ctx.deps).history(ctx.user.id, input)),

  packs: protectedProcedure.query(({ ctx }) => createCreditsService(ctx.deps).packs()),

  checkout: protectedProcedure
    .input(CheckoutInputSchema)
    .mutation(({ ctx, input }) => createCreditsService(ctx.deps).checkout(ctx.user, input.pack)),
} satisfies TRPCRouterRecord;
