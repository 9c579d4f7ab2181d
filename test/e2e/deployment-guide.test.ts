import { readFile } from 'node:fs/promises';
import { extractText, SIMULATED_NOTICE } from '@revmemo/engine';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { MEMO_HEADINGS } from '../support/memo';
import { startProductStack } from '../support/stack';
import {
  analysisIdFromUrl,
  cspViolations,
  fixtureFiles,
  launchBrowser,
  newContext,
  quoteFiles,
  screenshot,
  signUpInBrowser,
} from './browser';
import { RECORDER, waitForStage, waitForStatus } from './watch';

/**
 * The original deployment guide's success test, in a real browser: sign in, upload a small
 * contract, confirm, close the page mid-analysis, wait, open a new page: completed, memo shown,
 * charged exactly once.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;

beforeAll(async () => {
  // ~1 s per model call: five calls give a window of several seconds to close the page mid-way.
  [stack, browser] = await Promise.all([startProductStack({ latencyMs: 1000 }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('deployment guide test (browser)', () => {
  it('finishes after the page is closed mid-analysis, shows the memo and charges once', async () => {
    const context = await newContext(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    await context.addInitScript(RECORDER);
    const page = await context.newPage();
    const { email } = await signUpInBrowser(page, stack.url);
    await page.getByTestId('simulated-banner').waitFor();
    await screenshot(page, 'upload-empty');

    const [path] = await fixtureFiles({ 'northwind-msa.txt': SMALL_CONTRACT });
    await quoteFiles(page, [path as string]);
    const credits = Number(
      ((await page.getByTestId('quote-credits').textContent()) ?? '').replace(/\D/g, ''),
    );
    expect(credits).toBeGreaterThan(0);
    await page.getByTestId('confirm').scrollIntoViewIfNeeded();
    await screenshot(page, 'upload', { docs: true, fullPage: true });

    await page.getByTestId('confirm').click();
    const analysisId = await analysisIdFromUrl(page);
    await waitForStage(page, ['obligations', 'price']);
    await screenshot(page, 'progress', { docs: true });

    // Close the page mid-analysis.
    const [row] = await stack.db.execute<{ status: string; memo_uuid: string }>(
      sql`SELECT status, memo_uuid FROM analyses WHERE analysis_id = ${analysisId}`,
    );
    expect(row?.status).toBe('running');
    await page.close();

    // Wait: the worker finishes without any browser watching.
    await expect
      .poll(
        async () => {
          const [r] = await stack.db.execute<{ status: string }>(
            sql`SELECT status FROM analyses WHERE analysis_id = ${analysisId}`,
          );
          return r?.status;
        },
        { timeout: 45_000, interval: 250 },
      )
      .toBe('completed');

    // A new page: completed, memo shown.
    const again = await context.newPage();
    await again.goto(`${stack.url}/analyses/${analysisId}`);
    await waitForStatus(again, 'completed');
    const memo = again.getByTestId('memo');
    await memo.waitFor();
    expect(await memo.locator('h1').first().textContent()).toMatch(/memo|ASC 606/i);
    expect(await again.getByTestId('status').textContent()).toBe('Completed');
    await screenshot(again, 'memo', { docs: true });
    await screenshot(again, 'memo-full', { fullPage: true });

    // Copy puts the markdown on the clipboard.
    await again.getByRole('button', { name: 'Copy' }).click();
    await again.getByRole('button', { name: 'Copied ✓' }).waitFor();
    const clip = await again.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    expect(clip).toMatch(/^# .*Memo/m);

    // The memo downloads as Markdown and as a Word document (a zip: "PK").
    const [md] = await Promise.all([
      again.waitForEvent('download'),
      again.getByLabel('Download as Markdown (.md)').click(),
    ]);
    expect(md.suggestedFilename()).toMatch(/\.md$/);
    expect(await readFile((await md.path()) as string, 'utf8')).toMatch(/^# /m);
    const [docx] = await Promise.all([
      again.waitForEvent('download'),
      again.getByLabel('Download as Word (.docx)').click(),
    ]);
    expect(docx.suggestedFilename()).toMatch(/\.docx$/);
    // Read back with the product's own DOCX reader: the Word file holds the memo, every section of it.
    const { text: wordText } = await extractText({
      filename: 'memo.docx',
      data: new Uint8Array(await readFile((await docx.path()) as string)),
    });
    for (const heading of MEMO_HEADINGS) expect(wordText).toContain(heading.replace(/^#+ /, ''));
    expect(wordText).toContain(
      SIMULATED_NOTICE.replace(/[*_>`]/g, '')
        .trim()
        .slice(0, 40),
    );

    // Exactly one charge for the memo, equal to the confirmed quote.
    const charges = await stack.db.execute<{ amount: number }>(
      sql`SELECT amount FROM credit_transactions WHERE memo_uuid = ${row?.memo_uuid} AND reason = 'analysis_charge'`,
    );
    expect(charges.length).toBe(1);
    expect(Math.abs(Number(charges[0]?.amount))).toBe(credits);
    const all = await stack.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM credit_transactions t JOIN "user" u ON u.id = t.user_id WHERE u.email = ${email} AND t.reason = 'analysis_charge'`,
    );
    expect(all[0]?.n).toBe(1);

    // The balance the user sees went down by exactly the quote.
    await again.goto(`${stack.url}/credits`);
    await again.getByTestId('available').filter({ hasText: /\d/ }).waitFor();
    expect(Number(await again.getByTestId('available').textContent())).toBe(100 - credits);

    // All of it (upload, live progress, memo, copy, both downloads) under the Content-Security-Policy.
    const policy =
      (await (await again.goto(`${stack.url}/analyses`))?.headerValue('content-security-policy')) ?? '';
    expect(policy).toMatch(/default-src 'self'.*script-src 'self'/);
    expect(cspViolations(context)).toEqual([]);
    await screenshot(again, 'credits', { docs: true });
    await context.close();
  });
});
