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
  signUpInBrowser,
} from './browser';
import { waitForStage } from './watch';

/** The waiting bar says where the analysis stands in the queue (docs/capacity.md), then gives way to the steps. */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startProductStack({
      latencyMs: 1500,
      // One at a time per user: the user's later analyses wait their turn.
      extraEnv: { MAX_RUNNING_PER_USER: '1', QUEUE_POSITION_INTERVAL_MS: '300' },
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

describe('the queue on the bar', () => {
  it('shows how many analyses are ahead and when it starts, then the steps', async () => {
    const [contract] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${stack.url}/`);
      await quoteFiles(page, [contract as string]);
      await page.getByTestId('confirm').click();
      ids.push(await analysisIdFromUrl(page));
    }
    // On the third analysis's page: the line under the bar names its place in the queue.
    const line = page.getByTestId('queue-position');
    await line.filter({ hasText: /analys(is|es) ahead of yours|Next in line/ }).waitFor({ timeout: 60_000 });
    expect(await line.getAttribute('role')).toBe('status');
    // Then it starts: the steps show and the queue line is gone.
    await waitForStage(page, ['contract', 'obligations', 'price'], 120_000);
    expect(await line.count()).toBe(0);
    expect(ids).toHaveLength(3);
  }, 240_000);
});
