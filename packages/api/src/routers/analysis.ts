import {
  AnalysisIdInputSchema,
  ListInputSchema,
  ProgressInputSchema,
  QuoteTextInputSchema,
  SubmitInputSchema,
} from '@revmemo/contracts';
import type { TRPCRouterRecord } from '@trpc/server';
import { createAnalysisService } from '../services/analysis.service';
import { createQuoteService } from '../services/quote.service';
import { limitedProcedure, protectedProcedure } from '../trpc';

export const analysisRouter = {
  /** Price pasted text (file uploads go through POST /api/quotes, which shares the same service). */
  quote: limitedProcedure('quote')
    .input(QuoteTextInputSchema)
    .mutation(({ ctx, input }) => createQuoteService(ctx.deps).quoteText(ctx.user.id, input)),

  submit: limitedProcedure('submit')
    .input(SubmitInputSchema)
    .mutation(({ ctx, input }) => createAnalysisService(ctx.deps).submit(ctx.user.id, input)),

  get: protectedProcedure
    .input(AnalysisIdInputSchema)
    .query(({ ctx, input }) => createAnalysisService(ctx.deps).get(ctx.user.id, input.analysisId)),

  /** The structured step answers, checks and sources behind the memo, as JSON. */
  export: protectedProcedure
    .input(AnalysisIdInputSchema)
    .query(({ ctx, input }) => createAnalysisService(ctx.deps).export(ctx.user.id, input.analysisId)),

  /** The memo so far while the analysis runs (finished steps only); null once it has ended. */
  draft: protectedProcedure
    .input(AnalysisIdInputSchema)
    .query(({ ctx, input }) => createAnalysisService(ctx.deps).draft(ctx.user.id, input.analysisId)),

  list: protectedProcedure
    .input(ListInputSchema)
    .query(({ ctx, input }) => createAnalysisService(ctx.deps).list(ctx.user.id, input)),

  cancel: limitedProcedure('cancel')
    .input(AnalysisIdInputSchema)
    .mutation(({ ctx, input }) => createAnalysisService(ctx.deps).cancel(ctx.user.id, input.analysisId)),

  progress: protectedProcedure
    .input(ProgressInputSchema)
    .subscription(({ ctx, input, signal }) =>
      createAnalysisService(ctx.deps).progress(ctx.user.id, input, signal),
    ),
} satisfies TRPCRouterRecord;
