import { CheckoutInputSchema, ConfirmCheckoutInputSchema, HistoryInputSchema } from '@revmemo/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { createCreditsService } from '../services/credits.service';
import { limitedProcedure, protectedProcedure } from '../trpc';

export const creditsRouter = {
  balance: protectedProcedure.query(({ ctx }) => createCreditsService(ctx.deps).balance(ctx.user.id)),

  history: protectedProcedure
    .input(HistoryInputSchema)
    .query(({ ctx, input }) => createCreditsService(ctx.deps).history(ctx.user.id, input)),

  packs: protectedProcedure.query(({ ctx }) => createCreditsService(ctx.deps).packs()),

  confirmCheckout: limitedProcedure('confirmCheckout')
    .input(ConfirmCheckoutInputSchema)
    .mutation(({ ctx, input }) => createCreditsService(ctx.deps).confirmCheckout(ctx.user, input.sessionId)),

  checkout: limitedProcedure('checkout')
    .input(CheckoutInputSchema)
    .mutation(({ ctx, input }) => createCreditsService(ctx.deps).checkout(ctx.user, input.pack)),
} satisfies TRPCRouterRecord;
