import { getBalance, listTransactions } from '@revmemo/db';
import { TRPCError } from '@trpc/server';
import type { ApiDeps } from '../deps';
import { appError } from '../errors';
import { badCursor } from './analysis.service';

export function createCreditsService(deps: ApiDeps) {
  const { db, config, stripe } = deps;
  return {
    balance: (userId: string) => getBalance(db, userId),

    async history(userId: string, input: { limit: number; cursor?: string | null }) {
      const page = await listTransactions(db, userId, {
        limit: input.limit,
        cursor: input.cursor ?? null,
      }).catch(badCursor);
      return {
        items: page.items.map((t) => ({
          id: String(t.id),
          reason: t.reason,
          amount: t.amount,
          balanceAfter: t.balanceAfter,
          memoUuid: t.memoUuid,
          description: t.description,
          createdAt: t.createdAt.toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },

    packs() {
      return { enabled: stripe !== null, packs: config.stripe.packs };
    },

    /** A Stripe Checkout Session for one credit pack; credits arrive through the webhook, never here. */
    async checkout(user: { id: string; email: string }, packId: string) {
      if (!stripe) {
        throw appError(
          'PRECONDITION_FAILED',
          'Purchases are off on this server (STRIPE_SECRET_KEY is not set).',
          {
            code: 'PURCHASES_DISABLED',
          },
        );
      }
      const pack = config.stripe.packs.find((p) => p.id === packId);
      if (!pack) throw new TRPCError({ code: 'BAD_REQUEST', message: `Unknown credit pack "${packId}".` });
      const base = config.http.websiteUrl.replace(/\/$/, '');
      const session = await stripe.checkout.sessions.create({
        mode: 'payment',
        customer_email: user.email,
        client_reference_id: user.id,
        line_items: [
          {
            quantity: 1,
            price_data: { currency: 'usd', unit_amount: pack.priceCents, product_data: { name: pack.name } },
          },
        ],
        metadata: { userId: user.id, packId: pack.id, credits: String(pack.credits) },
        success_url: `${base}/credits?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${base}/credits?checkout=canceled`,
      });
      if (!session.url)
        throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Stripe returned no checkout URL.' });
      return { url: session.url, sessionId: session.id };
    },
  };
}
