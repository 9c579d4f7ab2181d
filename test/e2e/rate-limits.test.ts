import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';
import { fixtureFiles, launchBrowser, newContext, quoteFiles, signUpInBrowser } from './browser';

/** An account limit's refusal, as the person at the page reads it: what happened and how long to wait. */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startProductStack({ workers: 0, extraEnv: { RATE_LIMIT_QUOTE: '1/1m' } }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the page under an account limit', () => {
  it('shows "Too many requests — try again in N s" with the limit, and charges nothing', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUpInBrowser(page, stack.url);
    const [file] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
    await quoteFiles(page, [file as string]);

    await page.getByRole('button', { name: 'Get quote' }).click();
    const alert = page.getByTestId('quote-error');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('RATE_LIMITED');
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(/^Too many requests — try again in \d+ s/);
    expect(text).toMatch(/Too many quotes \(1 per 60 s\)\. Try again in \d+ s\./);
    expect(text).toContain('Nothing was charged.');
    await context.close();
  });
});
