import { z } from 'zod';

export const HistoryInputSchema = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z.string().nullish(),
});
export const CheckoutInputSchema = z.object({ pack: z.string().min(1).max(64) });
export const ConfirmCheckoutInputSchema = z.object({ sessionId: z.string().min(1).max(255) });
