import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIn, startMailbox } from '../support/mailbox';
import { startProductStack } from '../support/stack';
import { cspViolations, launchBrowser, newContext, screenshot, signUpInBrowser } from './browser';

/**
 * Accounts in a real browser with the mail going through a real SMTP server: the "check your email"
 * banner, the verification link releasing the welcome credits, a forgotten password reset by email,
 * all under the Content-Security-Policy, with no violation reported.
 */
const SIGNUP_CREDITS = 30;
let stack: Awaited<ReturnType<typeof startProductStack>>;
let mailbox: Awaited<ReturnType<typeof startMailbox>>;
let browser: Browser;

beforeAll(async () => {
  mailbox = await startMailbox();
  [stack, browser] = await Promise.all([
    startProductStack({
      workers: 0,
      extraEnv: { MAIL_URL: mailbox.url, SIGNUP_CREDITS: String(SIGNUP_CREDITS) },
    }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await mailbox?.close();
});

describe('accounts in the browser', () => {
  it('verifies the email from the mailed link, then resets a forgotten password by email', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = `reset-${Math.random().toString(36).slice(2, 10)}@example.com`;

    // The app's page carries the policy.
    const response = await page.goto(`${stack.url}/sign-in`);
    const csp = (await response?.headerValue('content-security-policy')) ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    // Signed in at once, but the credits wait for the link.
    const { password } = await signUpInBrowser(page, stack.url, email, { verify: false });
    const banner = page.getByTestId('verify-banner');
    await expect.poll(() => banner.textContent()).toContain(`release your ${SIGNUP_CREDITS} free credits`);
    await expect.poll(() => page.getByTestId('balance-chip').textContent()).toBe('0 credits');
    await screenshot(page, 'verify-banner');

    const verification = await mailbox.waitFor(email, /verify your email/i);
    await page.goto(linkIn(verification));
    await page
      .getByTestId('email-verified')
      .filter({ hasText: `your ${SIGNUP_CREDITS} welcome credits are in your account` })
      .waitFor();
    await page.getByRole('link', { name: 'Continue to Revmemo' }).click();
    await page.getByRole('heading', { name: 'New analysis' }).waitFor();
    await expect.poll(() => page.getByTestId('balance-chip').textContent()).toBe(`${SIGNUP_CREDITS} credits`);
    expect(await banner.count()).toBe(0);

    // Forgot the password: sign out, ask for a link from the sign-in page.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByTestId('reset-sent').waitFor();

    const reset = await mailbox.waitFor(email, /reset your revmemo password/i);
    const resetLink = linkIn(reset);
    await page.goto(resetLink);
    await page.getByLabel('New password').fill('a new and better passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByTestId('reset-done').waitFor();
    await page.getByRole('link', { name: 'Sign in with the new password' }).click();

    // The old password no longer works; the new one does.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
    await page.getByLabel('Password').fill('a new and better passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'New analysis' }).waitFor();

    // The link worked once.
    await page.goto(resetLink);
    await page.getByLabel('New password').fill('yet another passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByTestId('reset-link-invalid').waitFor();

    expect(cspViolations(context)).toEqual([]);
    await context.close();
  });

  it('a broken verification link says so on the result page', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(
      `${stack.url}/api/auth/verify-email?token=not-a-token&callbackURL=${encodeURIComponent(`${stack.url}/email-verified`)}`,
    );
    await page.getByTestId('verify-error').filter({ hasText: 'not valid' }).waitFor();
    expect(cspViolations(context)).toEqual([]);
    await context.close();
  });
});
