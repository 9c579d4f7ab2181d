import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';
import { fixtureFiles, launchBrowser, newContext, screenshot, signUpInBrowser } from './browser';

/** The page knows the server's limits because the server tells it (system.limits), not from its own copy. */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startProductStack({ workers: 0 }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('upload limits in the browser', () => {
  it('picking 6 files shows "at most 5" before anything is uploaded; the 5 kept files get a quote', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const uploads: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/quotes')) uploads.push(r.method());
    });
    const { email } = await signUpInBrowser(page, stack.url);
    const paths = await fixtureFiles(
      Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`part-${i + 1}.txt`, SMALL_CONTRACT])),
    );
    await page.locator('input[type=file]').setInputFiles(paths);
    const alert = page.getByTestId('file-error');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('At most 5 files per analysis; 1 was not added.');
    expect(await page.getByRole('list', { name: 'Selected files' }).locator('li').count()).toBe(5);
    expect(await page.getByText('up to 5 files').count()).toBe(1);
    expect(uploads).toEqual([]); // nothing was sent
    await screenshot(page, 'upload-six-files');

    // The five it kept are within the server's limits: they get a quote.
    await page.getByRole('button', { name: 'Get quote' }).click();
    await page.getByTestId('quote').waitFor();
    expect(uploads).toEqual(['POST']);
    const [row] = await stack.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM quotes q JOIN "user" u ON u.id = q.user_id WHERE u.email = ${email}`,
    );
    expect(row?.n).toBe(1);
    await context.close();
  });

  it('the context box takes at most the characters the server accepts', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInBrowser(page, stack.url);
    const box = page.getByLabel(/Additional context/);
    await page.getByText('up to 5 files').waitFor(); // the limits have arrived
    expect(await box.getAttribute('maxlength')).toBe('20000');
    await context.close();
  });
});
