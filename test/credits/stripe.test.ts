import { checkLedgerInvariants } from '@revmemo/db';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { startProductStack } from '../support/stack';
import { startStripeStandIn } from '../support/stripe-stand-in';

const WEBHOOK_SECRET = 'whsec_test_revmemo_webhook_secret';
let stripeApi: Awaited<ReturnType<typeof startStripeStandIn>>;
let stack: Awaited<ReturnType<typeof startProductStack>>;
const stripe = new Stripe('sk_test_unused');

beforeAll(async () => {
  stripeApi = await startStripeStandIn();
  stack = await startProductStack({
    workers: 0,
    extraEnv: {
      STRIPE_SECRET_KEY: 'sk_test_revmemo',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: stripeApi.url,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await stripeApi?.close();
});
afterEach(async () => {
  expect(await checkLedgerInvariants(stack.db)).toEqual([]);
});

function checkoutEvent(opts: {
  eventId?: string;
  type?: string;
  sessionId: string;
  userId: string;
  credits: number;
  paid?: boolean;
}) {
  return JSON.stringify({
    id: opts.eventId ?? `evt_${crypto.randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type: opts.type ?? 'checkout.session.completed',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: opts.sessionId,
        object: 'checkout.session',
        payment_status: opts.paid === false ? 'unpaid' : 'paid',
        status: 'complete',
        client_reference_id: opts.userId,
        metadata: { userId: opts.userId, packId: 'starter', credits: String(opts.credits) },
      },
    },
  });
}

async function postWebhook(payload: string, signature?: string) {
  const header = signature ?? stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  return fetch(`${stack.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });
}

async function userIdOf(email: string): Promise<string> {
  const rows = await stack.db.execute(sql`SELECT id FROM "user" WHERE email = ${email}`);
  return String(rows[0]?.id);
}

describe('buying credits with Stripe Checkout', () => {
  it('creates a Checkout Session for a pack through the real stripe SDK', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const { url } = await client.credits.checkout.mutate({ pack: 'starter' });
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const req = stripeApi.requests.at(-1);
    expect(req?.authorization).toBe('Bearer sk_test_revmemo');
    expect(req?.form.get('mode')).toBe('payment');
    expect(req?.form.get('metadata[credits]')).toBe('50');
    expect(req?.form.get('line_items[0][price_data][unit_amount]')).toBe('5000');
    await expect(client.credits.checkout.mutate({ pack: 'no-such-pack' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });

  it('credits a paid session once, however often Stripe delivers it', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const userId = await userIdOf(user.email);
    const before = await client.credits.balance.query();
    const sessionId = `cs_test_${crypto.randomUUID()}`;
    const payload = checkoutEvent({ sessionId, userId, credits: 50 });

    const first = await postWebhook(payload);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ outcome: 'credited' });
    const again = await postWebhook(payload);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate' });
    // A second event for the same session (async payment succeeded) credits nothing more.
    const second = await postWebhook(
      checkoutEvent({ sessionId, userId, credits: 50, type: 'checkout.session.async_payment_succeeded' }),
    );
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ outcome: 'duplicate' });

    const after = await client.credits.balance.query();
    expect(after.balance).toBe(before.balance + 50);
    const history = await client.credits.history.query({});
    expect(history.items.filter((t) => t.reason === 'purchase')).toHaveLength(1);
  });

  it('rejects a bad signature with 400 and credits nothing', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const userId = await userIdOf(user.email);
    const before = await client.credits.balance.query();
    const payload = checkoutEvent({ sessionId: `cs_test_${crypto.randomUUID()}`, userId, credits: 50 });
    const forged = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' });
    expect((await postWebhook(payload, forged)).status).toBe(400);
    expect((await postWebhook(payload, 't=1,v1=deadbeef')).status).toBe(400);
    const tampered = await fetch(`${stack.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
      },
      body: payload.replace('"credits":"50"', '"credits":"5000"'),
    });
    expect(tampered.status).toBe(400);
    expect(await client.credits.balance.query()).toEqual(before);
  });

  it('credits nothing for an unpaid session, then credits when the async payment succeeds', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const userId = await userIdOf(user.email);
    const before = await client.credits.balance.query();
    const sessionId = `cs_test_${crypto.randomUUID()}`;
    const unpaid = await postWebhook(checkoutEvent({ sessionId, userId, credits: 50, paid: false }));
    expect(await unpaid.json()).toMatchObject({ outcome: 'unpaid' });
    expect((await client.credits.balance.query()).balance).toBe(before.balance);
    const paid = await postWebhook(
      checkoutEvent({ sessionId, userId, credits: 50, type: 'checkout.session.async_payment_succeeded' }),
    );
    expect(await paid.json()).toMatchObject({ outcome: 'credited' });
    expect((await client.credits.balance.query()).balance).toBe(before.balance + 50);
  });
});

describe('coming back from Checkout', () => {
  it('credits a paid session from the success page once, even when the webhook also arrives', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const userId = await userIdOf(user.email);
    const before = await client.credits.balance.query();
    const { sessionId } = await client.credits.checkout.mutate({ pack: 'starter' });

    // Back from Checkout before paying (or before Stripe settled): nothing yet.
    expect(await client.credits.confirmCheckout.mutate({ sessionId })).toEqual({ status: 'pending' });
    stripeApi.markPaid(sessionId);
    expect(await client.credits.confirmCheckout.mutate({ sessionId })).toEqual({ status: 'credited' });
    expect(await client.credits.confirmCheckout.mutate({ sessionId })).toEqual({
      status: 'already-credited',
    });
    // The webhook for the same session arrives later and credits nothing more.
    const late = await postWebhook(checkoutEvent({ sessionId, userId, credits: 50 }));
    expect(await late.json()).toMatchObject({ outcome: 'duplicate' });
    expect((await client.credits.balance.query()).balance).toBe(before.balance + 50);
  });

  it("refuses to confirm another user's session", async () => {
    const alice = trpcClient(stack.url, (await signUp(stack.url)).cookie);
    const bob = trpcClient(stack.url, (await signUp(stack.url)).cookie);
    const { sessionId } = await alice.credits.checkout.mutate({ pack: 'starter' });
    stripeApi.markPaid(sessionId);
    await expect(bob.credits.confirmCheckout.mutate({ sessionId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(bob.credits.confirmCheckout.mutate({ sessionId: 'cs_test_missing' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });
});
