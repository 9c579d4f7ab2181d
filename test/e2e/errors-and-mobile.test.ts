import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';
import {
  analysisIdFromUrl,
  fixtureFiles,
  launchBrowser,
  newContext,
  quoteFiles,
  screenshot,
  signUpInBrowser,
} from './browser';
import { type PageGlobals, waitForStage, waitForStatus } from './watch';

/** Clear messages that cost nothing, inline auth errors, and the app at phone width. */
const MAX_UPLOAD_BYTES = 256 * 1024;
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startProductStack({ latencyMs: 700, extraEnv: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function money(email: string) {
  const [account] = await stack.db.execute<{ balance: number; held: number }>(
    sql`SELECT a.balance, a.held FROM credit_accounts a JOIN "user" u ON u.id = a.user_id WHERE u.email = ${email}`,
  );
  const [tx] = await stack.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM credit_transactions t JOIN "user" u ON u.id = t.user_id WHERE u.email = ${email}`,
  );
  const [an] = await stack.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM analyses a JOIN "user" u ON u.id = a.user_id WHERE u.email = ${email}`,
  );
  return {
    balance: Number(account?.balance),
    held: Number(account?.held),
    transactions: tx?.n,
    analyses: an?.n,
  };
}

async function quoteError(page: Page) {
  const alert = page.getByTestId('quote-error');
  await alert.waitFor();
  return { text: await alert.textContent(), code: await alert.getAttribute('data-code') };
}

describe('documents that cannot be analyzed', () => {
  it('a corrupt PDF, an over-limit file and an unsupported type get clear messages and cost nothing', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { email } = await signUpInBrowser(page, stack.url);
    const start = await money(email);
    expect(start).toMatchObject({ balance: 100, held: 0, analyses: 0 });

    // A corrupt PDF: the server cannot read it.
    const [corrupt] = await fixtureFiles({
      'scan.pdf': '%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref\n%%EOF',
    });
    await page.locator('input[type=file]').setInputFiles([corrupt as string]);
    await page.getByRole('button', { name: 'Get quote' }).click();
    const pdf = await quoteError(page);
    expect(pdf.code).toBe('DOCUMENT_UNREADABLE');
    expect(pdf.text).toMatch(/scan\.pdf/);
    expect(pdf.text).toMatch(/Nothing was charged/);
    await screenshot(page, 'error-corrupt-pdf', { docs: true });
    await page.getByRole('button', { name: 'Remove scan.pdf' }).click();

    // Over the size limit: refused before upload, with the limit in the message.
    const [big] = await fixtureFiles({
      'huge-contract.txt': 'word '.repeat(Math.ceil((MAX_UPLOAD_BYTES + 10_000) / 5)),
    });
    await page.locator('input[type=file]').setInputFiles([big as string]);
    const tooBig = page.getByTestId('file-error');
    await tooBig.waitFor();
    expect(await tooBig.textContent()).toMatch(/huge-contract\.txt is .*the limit is 256 KB/);

    // Not a PDF, DOCX or TXT.
    const [png] = await fixtureFiles({ 'photo.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) });
    await page.locator('input[type=file]').setInputFiles([png as string]);
    expect(await page.getByTestId('file-error').textContent()).toMatch(
      /photo\.png is not a PDF, DOCX or TXT file/,
    );
    expect(await page.getByRole('button', { name: 'Get quote' }).isDisabled()).toBe(true);

    // The server says the same about an over-limit upload that skips the page's check.
    const status = await page.evaluate(async (size) => {
      const form = new FormData();
      form.append('file', new Blob(['x'.repeat(size)], { type: 'text/plain' }), 'huge.txt');
      const res = await fetch('/api/quotes', { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as { error: { appError: { code: string } } } };
    }, MAX_UPLOAD_BYTES + 1024);
    expect(status.status).toBe(413);
    expect(status.body.error.appError.code).toBe('FILE_TOO_LARGE');

    expect(await money(email)).toEqual(start);
    await context.close();
  });
});

describe('sign in', () => {
  it('shows wrong credentials inline and signs in and out', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { email, password } = await signUpInBrowser(page, stack.url);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/email or password is not correct/i);
    await screenshot(page, 'sign-in-error');

    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'New analysis' }).waitFor();

    // Signing up twice with one email is refused inline.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(`${stack.url}/sign-up`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/already exists/i);
    await context.close();
  });
});

describe('phone width (375 px)', () => {
  it('runs an analysis with no horizontal scrolling and a fixed-height progress view', async () => {
    const context = await newContext(browser, { width: 375, height: 812 });
    const page = await context.newPage();
    await signUpInBrowser(page, stack.url);
    const noOverflow = () =>
      page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        return g.document.documentElement.scrollWidth <= g.innerWidth;
      });
    expect(await noOverflow()).toBe(true);

    const [path] = await fixtureFiles({ 'northwind-msa.txt': SMALL_CONTRACT });
    await quoteFiles(page, [path as string]);
    expect(await noOverflow()).toBe(true);
    await page.getByTestId('confirm').scrollIntoViewIfNeeded();
    await screenshot(page, 'mobile-upload', { docs: true });

    await page.getByTestId('confirm').click();
    const analysisId = await analysisIdFromUrl(page);
    await waitForStage(page, ['contract', 'obligations']);
    const panel = page.locator('.progress-panel');
    const h1 = (await panel.boundingBox())?.height;
    await screenshot(page, 'mobile-progress', { docs: true });
    await waitForStage(page, ['allocation', 'recognition', 'memo']);
    expect((await panel.boundingBox())?.height).toBe(h1);
    expect(await noOverflow()).toBe(true);

    await waitForStatus(page, 'completed');
    await page.getByTestId('memo').waitFor();
    expect(await noOverflow()).toBe(true);
    await screenshot(page, 'mobile-memo', { docs: true });

    await page.goto(`${stack.url}/analyses`);
    await page.locator(`tr[data-analysis-id="${analysisId}"]`).waitFor();
    expect(await noOverflow()).toBe(true);
    await screenshot(page, 'mobile-history');
    await page.goto(`${stack.url}/credits`);
    await page.getByTestId('purchases-off').waitFor();
    expect(await noOverflow()).toBe(true);
    await screenshot(page, 'mobile-credits');
    await context.close();
  });
});
