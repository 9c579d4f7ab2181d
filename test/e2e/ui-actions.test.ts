import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { chargesFor, expectLedgerHealthy, holdOf } from '../support/ledger';
import { startProductStack } from '../support/stack';
import { startStripeStandIn } from '../support/stripe-stand-in';
import {
  analysisIdFromUrl,
  fixtureFiles,
  launchBrowser,
  newContext,
  quoteFiles,
  signUpInBrowser,
} from './browser';
import { waitForStage, waitForStatus } from './watch';

/** What a user does with the buttons: cancel a running analysis, buy credits through Stripe Checkout. */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let stripeApi: Awaited<ReturnType<typeof startStripeStandIn>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let email: string;

beforeAll(async () => {
  stripeApi = await startStripeStandIn();
  [stack, browser] = await Promise.all([
    startProductStack({
      latencyMs: 1000,
      extraEnv: {
        STRIPE_SECRET_KEY: 'sk_test_revmemo',
        STRIPE_WEBHOOK_SECRET: 'whsec_test_revmemo_webhook_secret',
        STRIPE_API_BASE: stripeApi.url,
      },
    }),
    launchBrowser(),
  ]);
  context = await newContext(browser);
  page = await context.newPage();
  ({ email } = await signUpInBrowser(page, stack.url));
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await stripeApi?.close();
});

const available = async () => {
  await page.goto(`${stack.url}/credits`);
  const cell = page.getByTestId('available').filter({ hasText: /\d/ });
  await cell.waitFor();
  return Number(await cell.textContent());
};

describe('buttons a user presses', () => {
  it('"Cancel analysis" on a running analysis: canceled, nothing charged, the held credits back', async () => {
    const [contract] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
    await page.goto(`${stack.url}/`);
    await quoteFiles(page, [contract as string]);
    await page.getByTestId('confirm').click();
    const analysisId = await analysisIdFromUrl(page);
    await waitForStage(page, ['contract', 'obligations']);
    await page.getByRole('button', { name: 'Cancel analysis' }).click();
    await waitForStatus(page, 'canceled');
    await page.getByTestId('analysis-error').filter({ hasText: 'The analysis was canceled' }).waitFor();
    expect(await page.getByTestId('status').first().textContent()).toBe('Canceled');

    const [row] = await stack.db.execute<{
      status: string;
      memo_uuid: string;
      final_charged_credits: number;
    }>(sql`SELECT status, memo_uuid, final_charged_credits FROM analyses WHERE analysis_id = ${analysisId}`);
    expect(row).toMatchObject({ status: 'canceled', final_charged_credits: 0 });
    expect(await chargesFor(stack.db, row?.memo_uuid as string)).toHaveLength(0);
    expect(await holdOf(stack.db, row?.memo_uuid as string)).toMatchObject({ status: 'released' });
    expect(await available()).toBe(100);
    await expectLedgerHealthy(stack.db);
  });

  it('"Buy" a pack: Stripe Checkout opens, and once paid the credits show on the Credits page', async () => {
    const before = await available();
    // Stripe's hosted page is not ours to load: stand in for it and note which session it was given.
    const checkoutPages: string[] = [];
    await page.route('https://checkout.stripe.test/**', (route) => {
      checkoutPages.push(route.request().url());
      return route.fulfill({ contentType: 'text/html', body: '<h1>Stripe Checkout</h1>' });
    });
    const buy = page.getByRole('button', { name: /^Buy / }).first();
    const packLabel = (await buy.getAttribute('aria-label')) as string;
    await buy.click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const sessionId = new URL(checkoutPages[0] as string).pathname.split('/').pop() as string;
    const created = stripeApi.requests.find((r) => r.path === '/v1/checkout/sessions' && r.method === 'POST');
    expect(created?.form.get('customer_email')).toBe(email);

    // The customer pays; Stripe sends them back to the success URL the product gave it.
    stripeApi.markPaid(sessionId);
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const { packs } = await trpcClient(stack.url, cookie).credits.packs.query();
    const pack = packs.find((p) => packLabel === `Buy ${p.name}`);
    expect(pack, `a pack for the button "${packLabel}"`).toBeDefined();
    await page.goto(`${stack.url}/credits?checkout=success&session_id=${sessionId}`);
    await page
      .getByTestId('available')
      .filter({ hasText: String(before + (pack?.credits ?? 0)) })
      .waitFor();
    const purchases = await stack.db.execute<{ amount: number }>(
      sql`SELECT amount FROM credit_transactions WHERE stripe_checkout_session_id = ${sessionId}`,
    );
    expect(purchases.map((p) => p.amount)).toEqual([pack?.credits]);
    await expectLedgerHealthy(stack.db);
  });
});
