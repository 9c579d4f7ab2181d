import { applyStripePurchase, getBalance, listTransactions } from '@revmemo/db';
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

    /**
     * The return from Checkout: the webhook may lag, so the success page asks Stripe for the session
     * and credits a paid one itself. Deduplicated by session id with the webhook, so both may run.
     */
    async confirmCheckout(user: { id: string }, sessionId: string) {
      if (!stripe) {
        throw appError('PRECONDITION_FAILED', 'Purchases are off on this server.', {
          code: 'PURCHASES_DISABLED',
        });
      }
      const session = await stripe.checkout.sessions.retrieve(sessionId).catch(() => null);
      // Someone else's session looks exactly like a missing one.
      if (!session || session.metadata?.userId !== user.id) {
        throw new TRPCError({ code: 'NOT_FOUND', message: 'No such checkout session.' });
      }
      if (session.payment_status !== 'paid') return { status: 'pending' as const };
      const credits = Number(session.metadata?.credits);
      if (!Number.isInteger(credits) || credits <= 0) {
        throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Checkout session without credits.' });
      }
      const outcome = await applyStripePurchase(db, {
        eventId: `return:${session.id}`,
        eventType: 'checkout.session.return',
        sessionId: session.id,
        userId: user.id,
        credits,
        description: `Purchased ${credits} credits (${session.metadata?.packId ?? 'pack'})`,
      });
      return { status: outcome === 'credited' ? ('credited' as const) : ('already-credited' as const) };
    },

    /** A Stripe Checkout Session for one credit pack; credits arrive through the webhook or confirmCheckout. */
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
