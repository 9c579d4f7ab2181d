import { applyStripePurchase } from '@revmemo/db';
import type Stripe from 'stripe';
import type { ApiDeps } from '../deps';

export type WebhookResult =
  | { status: 400; body: { error: string } }
  | { status: 200; body: { received: true; outcome: 'credited' | 'duplicate' | 'ignored' | 'unpaid' } };

/**
 * Verifies the signature over the raw body, then credits a paid Checkout Session once: once per
 * event id (stripe_events) and once per session (unique stripe_checkout_session_id). Duplicates get
 * 2xx so Stripe stops retrying; a bad signature gets 400 and changes nothing.
 */
export async function handleStripeWebhook(
  deps: ApiDeps,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<WebhookResult> {
  const secret = deps.config.stripe.webhookSecret;
  if (!secret) return { status: 400, body: { error: 'Webhooks are off: STRIPE_WEBHOOK_SECRET is not set.' } };
  if (!signature) return { status: 400, body: { error: 'Missing Stripe-Signature header.' } };
  let event: Stripe.Event;
  try {
    event = deps.stripeWebhooks.constructEvent(rawBody, signature, secret);
  } catch (err) {
    deps.log.warn({ err: String(err) }, 'stripe webhook: bad signature');
    return { status: 400, body: { error: 'Invalid signature.' } };
  }
  if (
    event.type !== 'checkout.session.completed' &&
    event.type !== 'checkout.session.async_payment_succeeded'
  ) {
    return { status: 200, body: { received: true, outcome: 'ignored' } };
  }
  const session = event.data.object as Stripe.Checkout.Session;
  // Delayed methods (bank debits) complete unpaid and succeed later with their own event.
  if (session.payment_status !== 'paid') return { status: 200, body: { received: true, outcome: 'unpaid' } };
  const userId = session.metadata?.userId ?? session.client_reference_id;
  const credits = Number(session.metadata?.credits);
  if (!userId || !Number.isInteger(credits) || credits <= 0) {
    deps.log.error(
      { eventId: event.id, sessionId: session.id },
      'stripe webhook: session without user or credits metadata',
    );
    return { status: 200, body: { received: true, outcome: 'ignored' } };
  }
  const outcome = await applyStripePurchase(deps.db, {
    eventId: event.id,
    eventType: event.type,
    sessionId: session.id,
    userId,
    credits,
    description: `Purchased ${credits} credits (${session.metadata?.packId ?? 'pack'})`,
  });
  deps.log.info(
    { eventId: event.id, sessionId: session.id, userId, credits, outcome },
    'stripe webhook processed',
  );
  return { status: 200, body: { received: true, outcome } };
}
