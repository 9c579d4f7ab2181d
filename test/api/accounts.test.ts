import { creditTransactions, getUserByEmail } from '@revmemo/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followVerificationLink, signUp, trpcClient } from '../support/client';
import { expectLedgerHealthy } from '../support/ledger';
import { linkIn, startMailbox } from '../support/mailbox';
import { startProductStack } from '../support/stack';

/**
 * Verified sign-ups and recoverable accounts, with the mail going through a real SMTP server
 * started here: no credits until the emailed link is followed, then exactly SIGNUP_CREDITS once,
 * however often (or concurrently) the link is followed; a password reset by email.
 */
const SIGNUP_CREDITS = 25;
let stack: Awaited<ReturnType<typeof startProductStack>>;
let mailbox: Awaited<ReturnType<typeof startMailbox>>;

beforeAll(async () => {
  mailbox = await startMailbox();
  stack = await startProductStack({
    workers: 0,
    extraEnv: {
      MAIL_URL: mailbox.url,
      MAIL_FROM: 'Revmemo Accounts <accounts@revmemo.test>',
      SIGNUP_CREDITS: String(SIGNUP_CREDITS),
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await mailbox?.close();
});

const email = () => `acct-${Math.random().toString(36).slice(2, 10)}@example.com`;
const balanceOf = (cookie: string) => trpcClient(stack.url, cookie).credits.balance.query();

async function welcomeEntries(address: string) {
  const user = await getUserByEmail(stack.db, address);
  if (!user) throw new Error(`no user ${address}`);
  return stack.db.select().from(creditTransactions).where(eq(creditTransactions.userId, user.id));
}

async function verifiedFlag(address: string) {
  return (await getUserByEmail(stack.db, address))?.emailVerified;
}

describe('email verification', () => {
  it('no credits at sign-up; the emailed link grants exactly SIGNUP_CREDITS, and following it again grants nothing', async () => {
    const address = email();
    const user = await signUp(stack.url, address, { verify: false });
    // Signed in straight away, but without credits and unverified.
    expect(await balanceOf(user.cookie)).toEqual({ balance: 0, held: 0, available: 0 });
    expect(await verifiedFlag(address)).toBe(false);

    const mail = await mailbox.waitFor(address, /verify your email/i);
    expect(mail.from).toBe('"Revmemo Accounts" <accounts@revmemo.test>');
    expect(mail.envelopeTo).toEqual([address]);
    const link = linkIn(mail);
    expect(link.startsWith(`${stack.url}/api/auth/verify-email?token=`)).toBe(true);
    expect(mail.text).toContain(`${SIGNUP_CREDITS} free credits`);
    expect(mail.html).toContain(link.replaceAll('&', '&amp;'));
    // Still nothing before the link is followed.
    expect((await balanceOf(user.cookie)).balance).toBe(0);

    const first = await followVerificationLink(link);
    expect(first.headers.get('location')).toBe(`${stack.url}/email-verified`);
    expect(await verifiedFlag(address)).toBe(true);
    expect(await balanceOf(user.cookie)).toEqual({
      balance: SIGNUP_CREDITS,
      held: 0,
      available: SIGNUP_CREDITS,
    });

    await followVerificationLink(link);
    expect((await balanceOf(user.cookie)).balance).toBe(SIGNUP_CREDITS);
    const entries = await welcomeEntries(address);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ amount: SIGNUP_CREDITS, reason: 'adjustment', grantKey: 'welcome' });
    await expectLedgerHealthy(stack.db);
  });

  it('the same link followed ten times at once grants the credits once', async () => {
    const address = email();
    const user = await signUp(stack.url, address, { verify: false });
    const link = linkIn(await mailbox.waitFor(address, /verify your email/i));
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(link, { redirect: 'manual' })));
    for (const res of answers) expect(res.headers.get('location')).toBe(`${stack.url}/email-verified`);
    expect((await balanceOf(user.cookie)).balance).toBe(SIGNUP_CREDITS);
    expect(await welcomeEntries(address)).toHaveLength(1);
    await expectLedgerHealthy(stack.db);
  });

  it('a resent link works, and the first one then grants nothing more', async () => {
    const address = email();
    const user = await signUp(stack.url, address, { verify: false });
    const firstLink = linkIn(await mailbox.waitFor(address, /verify your email/i));
    const resend = await fetch(`${stack.url}/api/auth/send-verification-email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.url, cookie: user.cookie },
      body: JSON.stringify({ email: address }),
    });
    expect(resend.status).toBe(200);
    const secondLink = linkIn(await mailbox.waitFor(address, /verify your email/i, 2));
    await followVerificationLink(secondLink);
    await followVerificationLink(firstLink);
    expect((await balanceOf(user.cookie)).balance).toBe(SIGNUP_CREDITS);
    expect(await welcomeEntries(address)).toHaveLength(1);
  });

  it('a forged or altered link is refused with an error on the result page, and grants nothing', async () => {
    const address = email();
    const user = await signUp(stack.url, address, { verify: false });
    const link = linkIn(await mailbox.waitFor(address, /verify your email/i));
    const altered = link.replace(/token=([^&]+)/, (_m, t: string) => `token=${t.slice(0, -4)}AAAA`);
    const res = await fetch(altered, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${stack.url}/email-verified?error=INVALID_TOKEN`);
    expect((await balanceOf(user.cookie)).balance).toBe(0);
    expect(await verifiedFlag(address)).toBe(false);
  });
});

describe('password reset by email', () => {
  const resetRequest = (address: string) =>
    fetch(`${stack.url}/api/auth/request-password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.url },
      body: JSON.stringify({ email: address }),
    });
  const signIn = (address: string, password: string) =>
    fetch(`${stack.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.url },
      body: JSON.stringify({ email: address, password }),
    });

  it('sets a new password with the emailed token, once; other sessions are signed out', async () => {
    const address = email();
    const user = await signUp(stack.url, address, { verify: false });
    const res = await resetRequest(address);
    expect(res.status).toBe(200);
    const mail = await mailbox.waitFor(address, /reset your revmemo password/i);
    const link = linkIn(mail);
    expect(link.startsWith(`${stack.url}/reset-password?token=`)).toBe(true);
    const token = new URL(link).searchParams.get('token');

    const reset = (newPassword: string) =>
      fetch(`${stack.url}/api/auth/reset-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: stack.url },
        body: JSON.stringify({ token, newPassword }),
      });
    expect((await reset('a brand new passphrase')).status).toBe(200);
    expect((await signIn(address, 'a brand new passphrase')).status).toBe(200);
    expect((await signIn(address, user.password)).status).toBe(401);
    // The session from before the reset is gone.
    const session = await fetch(`${stack.url}/api/auth/get-session`, { headers: { cookie: user.cookie } });
    expect(await session.json()).toBeNull();
    // The token works once.
    expect((await reset('yet another passphrase')).status).toBe(400);
  });

  it('answers an unknown address exactly as a known one, and sends nothing', async () => {
    const address = email();
    const res = await resetRequest(address);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: true });
    // A known address's mail arrives within this wait; nothing for the unknown one.
    const known = email();
    await signUp(stack.url, known, { verify: false });
    await resetRequest(known);
    await mailbox.waitFor(known, /reset your revmemo password/i);
    expect(mailbox.to(address)).toEqual([]);
  });
});
