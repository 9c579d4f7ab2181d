import { STEPS } from '@revmemo/engine';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { HOLDABLE_STEPS_ENV, holdStep, startProductStack } from '../support/stack';
import {
  analysisIdFromUrl,
  fixtureFiles,
  launchBrowser,
  newContext,
  quoteFiles,
  screenshot,
  signUpInBrowser,
} from './browser';

/**
 * The memo page while the analysis runs (docs/memo.md, "Draft while running"): the finished steps'
 * sections under a draft banner, filling in as steps finish, then the final memo in its place. A
 * later step is held by the simulated model answering 429 to it (retried in-step without end) until
 * the test lets it through.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startProductStack({
      extraEnv: HOLDABLE_STEPS_ENV,
    }),
    launchBrowser(),
  ]);
  page = await (await newContext(browser)).newPage();
  await signUpInBrowser(page, stack.url);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const hold = (schemaName: string) => holdStep(stack, schemaName);
const title = (i: number) => STEPS[i]?.title as string;

describe('the draft memo', () => {
  it('shows finished sections before the analysis completes, then the final memo replaces it', async () => {
    await hold('step2');
    const [contract] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
    await quoteFiles(page, [contract as string]);
    await page.getByTestId('confirm').click();
    await analysisIdFromUrl(page);

    const draft = page.getByTestId('memo-draft');
    await page
      .locator('[data-testid=memo-draft][data-finished-steps="contract"]')
      .waitFor({ timeout: 60_000 });
    await expect(
      draft.getByRole('heading', { name: 'Draft — the analysis is still running' }).isVisible(),
    ).resolves.toBe(true);
    const body = page.getByTestId('memo-draft-body');
    await expect(body.getByRole('heading', { name: title(0) }).isVisible()).resolves.toBe(true);
    await expect(body.getByRole('heading', { name: title(1) }).isVisible()).resolves.toBe(true);
    // Step 1 has its analysis and conclusion; step 2 is marked pending, with nothing of its answer.
    expect(await body.getByRole('heading', { name: 'Conclusion' }).count()).toBe(1);
    expect(await body.textContent()).toContain('Pending: this step is still running');
    expect(await page.locator('.analysis').getAttribute('data-status')).toBe('running');
    expect(await page.getByTestId('memo').count()).toBe(0);
    await screenshot(page, 'draft-memo-step1', { fullPage: true });

    // Step 2 finishes (step 3 held): the stage event brings the draft's next section in.
    await hold('step3');
    await page
      .locator('[data-testid=memo-draft][data-finished-steps="contract,obligations"]')
      .waitFor({ timeout: 60_000 });
    expect(await body.getByRole('heading', { name: 'Conclusion' }).count()).toBe(2);
    expect(await draft.textContent()).toContain('2 of 5 steps finished');

    // Everything through: the memo replaces the draft.
    await stack.sim.reset();
    await page.getByTestId('memo').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('memo-draft').count()).toBe(0);
    const memo = page.getByTestId('memo');
    await expect(memo.getByRole('heading', { name: title(4) }).isVisible()).resolves.toBe(true);
    expect(await memo.textContent()).not.toContain('Pending');
    expect(await memo.getByRole('heading', { name: 'Conclusion' }).count()).toBe(5);
  }, 240_000);
});
