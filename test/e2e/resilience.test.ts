import { PIPELINE_STAGES, stageIndex } from '@revmemo/contracts';
import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { type CutProxy, PROGRESS_REQUEST, resumedFrom, startCutProxy } from '../support/cut-proxy';
import { startProductStack } from '../support/stack';
import { until, waitUntil } from '../support/wait';
import {
  analysisIdFromUrl,
  fixtureFiles,
  launchBrowser,
  newContext,
  quoteFiles,
  screenshot,
  signUpInBrowser,
  stageLog,
} from './browser';
import {
  type PageGlobals,
  RECORDER,
  recorded,
  waitForConnection,
  waitForStage,
  waitForStatus,
} from './watch';

/**
 * Network drops, reloads and double clicks while an analysis runs, in Chromium. The browser reaches
 * the server through a proxy that can cut its connections for real (the browser stays online).
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let proxy: CutProxy;
let base: string;
let browser: Browser;
let context: BrowserContext;
let contractPath: string;

beforeAll(async () => {
  proxy = await startCutProxy();
  base = proxy.url;
  [stack, browser] = await Promise.all([
    // The proxy is the site's public URL: the browser's origin must match it.
    startProductStack({ latencyMs: 1200, extraEnv: { WEBSITE_URL: proxy.url } }),
    launchBrowser(),
  ]);
  proxy.forwardTo(stack.url);
  context = await newContext(browser);
  await context.addInitScript(RECORDER);
  const page = await context.newPage();
  await signUpInBrowser(page, base);
  await page.close();
  [contractPath] = (await fixtureFiles({ 'northwind-msa.txt': SMALL_CONTRACT })) as [string];
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await proxy?.close();
});

async function startAnalysis(page: Page): Promise<string> {
  await page.goto(`${base}/`);
  await quoteFiles(page, [contractPath]);
  await page.getByTestId('confirm').click();
  return analysisIdFromUrl(page);
}

const ALL_STAGES = ['queued', ...PIPELINE_STAGES, 'done'] as const;

/**
 * No stage missed, none repeated, never back: from the first stage the page showed (the snapshot
 * when it connected, at the latest "contract"), every next stage exactly once, in order, ending on done.
 */
function expectNoStageMissed(log: string[]) {
  const seen = log.filter((s) => (ALL_STAGES as readonly string[]).includes(s));
  const first = (ALL_STAGES as readonly string[]).indexOf(seen[0] as string);
  expect(first, `stage log ${seen.join(',')}`).toBeGreaterThanOrEqual(0);
  expect(first, `stage log ${seen.join(',')}`).toBeLessThanOrEqual(ALL_STAGES.indexOf('contract'));
  expect(seen, 'stage log').toEqual(ALL_STAGES.slice(first));
}

/** The bar only ever moves forward. */
function expectPercentNeverBack(percent: number[]) {
  for (let i = 1; i < percent.length; i++)
    expect(percent[i], `bar went ${percent.join(' → ')}`).toBeGreaterThanOrEqual(percent[i - 1] as number);
}

const storedProgress = (page: Page, analysisId: string) =>
  page.evaluate((id) => {
    const raw = (globalThis as unknown as PageGlobals).localStorage.getItem(`revmemo:progress:${id}`);
    return raw ? (JSON.parse(raw) as { id: string | null }) : null;
  }, analysisId);

const progressRequests = () => proxy.requests().filter((h) => PROGRESS_REQUEST.test(h));

async function dbStage(analysisId: string): Promise<string> {
  const [row] = await stack.db.execute<{ progress_stage: string | null; status: string }>(
    sql`SELECT progress_stage, status FROM analyses WHERE analysis_id = ${analysisId}`,
  );
  return row?.status === 'completed' ? 'done' : (row?.progress_stage ?? 'queued');
}

describe('live progress survives the network and the page', () => {
  it('a stream cut while the browser stays online: reconnecting, then live from the stored id, nothing missed', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['contract']);
    await waitForConnection(page, ['live']);
    const before = await recorded(page);

    // The connection dies under the page; the server stays unreachable for a while.
    proxy.block();
    expect(proxy.cut(PROGRESS_REQUEST), 'open progress streams cut').toBe(1);
    proxy.cut(/(?:)/); // and the idle keep-alive connections a retry could reuse
    await waitForConnection(page, ['reconnecting']);
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { navigator: { onLine: boolean } }).navigator.onLine,
      ),
    ).toBe(true);
    await screenshot(page, 'progress-reconnecting');
    // Cut across at least one stage boundary: the worker moves on while the page sees nothing.
    const shown = (await stageLog(page)).at(-1) as string;
    await until(
      () => dbStage(analysisId),
      (stage) => stageIndex(stage as never) > stageIndex(shown as never),
      `the worker to finish a stage past "${shown}" while the page is cut off`,
    );
    const stored = await storedProgress(page, analysisId);
    expect(stored?.id).toMatch(/^\d+-\d+$/);
    const sentBefore = progressRequests().length;
    proxy.unblock();

    await waitForConnection(page, ['live', 'ended']);
    await waitForStatus(page, 'completed');
    // The first stream after the cut resumed from exactly the id the page had stored.
    const resumes = progressRequests().slice(sentBefore);
    expect(resumes.length).toBeGreaterThanOrEqual(1);
    expect(resumedFrom(resumes[0] as string)).toBe(stored?.id);
    const after = await recorded(page);
    const conn = after.conn.slice(before.conn.length);
    const drop = conn.indexOf('reconnecting');
    expect(drop, conn.join(' → ')).toBeGreaterThanOrEqual(0);
    expect(
      conn.slice(drop + 1).some((c) => c === 'live' || c === 'ended'),
      conn.join(' → '),
    ).toBe(true);
    expectNoStageMissed(await stageLog(page));
    expectPercentNeverBack(after.percent);
    // The notice under the bar was shown, and never moved while the bar updated.
    expect(after.noticeTops).toHaveLength(1);
    await page.close();
  });

  it('resumes after a reload mid-analysis from the last event id, missing no stage', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['obligations']);
    // Hold the stream still (no event can land between reading the stored id and the reload).
    proxy.block();
    proxy.cut(/(?:)/);
    await waitForConnection(page, ['reconnecting']);
    const beforeReload = await stageLog(page);
    const stored = await storedProgress(page, analysisId);
    expect(stored?.id).toMatch(/^\d+-\d+$/);
    const sentBefore = progressRequests().length;
    proxy.unblock();
    await page.reload();
    await page.locator('.progress-panel').waitFor();
    const resumed = await stageLog(page);
    expect(resumed.slice(0, beforeReload.length)).toEqual(beforeReload);
    await waitForConnection(page, ['live', 'ended']);
    await waitForStatus(page, 'completed');
    expectNoStageMissed(await stageLog(page));
    expectPercentNeverBack((await recorded(page)).percent);
    // The first stream after the reload resumed from the stored last event id.
    expect(resumedFrom(progressRequests()[sentBefore] as string)).toBe(stored?.id);
    await page.getByTestId('memo').waitFor();
    await page.close();
  });

  it('shows the final state at once when the analysis ended while the page was gone', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['contract', 'obligations']);
    await page.goto('about:blank');
    await waitUntil(
      async () => (await dbStage(analysisId)) === 'done',
      'the analysis to complete unwatched',
      45_000,
    );
    await page.goto(`${base}/analyses/${analysisId}`);
    await waitForStatus(page, 'completed', 5000);
    await page.getByTestId('memo').waitFor({ timeout: 5000 });
    await page.close();
  });

  it('starts one analysis on a double click of "Confirm & analyze"', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const [before] = await stack.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM analyses`);
    const submits: Promise<unknown>[] = [];
    page.on('request', (req) => {
      if (req.url().includes('analysis.submit')) submits.push(req.response());
    });
    await quoteFiles(page, [contractPath]);
    await page.getByTestId('confirm').dblclick();
    await analysisIdFromUrl(page);
    // Every submit the page sent has been answered (a second one, were there one, committed by now).
    await Promise.all(submits);
    const [after] = await stack.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM analyses`);
    expect((after?.n ?? 0) - (before?.n ?? 0)).toBe(1);
    await page.close();
  });

  it('lists analyses in History with a live bar for running ones', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['contract', 'obligations']);
    await page.getByRole('link', { name: 'History', exact: true }).first().click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    const row = page.locator(`tr[data-analysis-id="${analysisId}"]`);
    await row.locator('[role=progressbar]').waitFor();
    expect(['running', 'queued']).toContain(await row.getAttribute('data-status'));
    await screenshot(page, 'history', { docs: true });
    // The same row turns completed without a reload.
    await page
      .locator(`tr[data-analysis-id="${analysisId}"][data-status=completed]`)
      .waitFor({ timeout: 45_000 });
    await page.close();
  });
});
