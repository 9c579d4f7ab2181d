import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PIPELINE_STAGES } from '@revmemo/contracts';
import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';
import {
  analysisIdFromUrl,
  fixtureFiles,
  launchBrowser,
  newContext,
  quoteFiles,
  SCREENSHOTS,
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

/** Network drops, reloads and double clicks while an analysis runs, in Chromium. */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;
let context: BrowserContext;
let contractPath: string;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startProductStack({ latencyMs: 1200 }), launchBrowser()]);
  context = await newContext(browser);
  await context.addInitScript(RECORDER);
  const page = await context.newPage();
  await signUpInBrowser(page, stack.url);
  await page.close();
  [contractPath] = (await fixtureFiles({ 'northwind-msa.txt': SMALL_CONTRACT })) as [string];
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function startAnalysis(page: Page): Promise<string> {
  await page.goto(`${stack.url}/`);
  await quoteFiles(page, [contractPath]);
  await page.getByTestId('confirm').click();
  return analysisIdFromUrl(page);
}

/**
 * No stage missed: from the first stage the page showed (the snapshot when it connected; the
 * worker may already be past the instant "preparation" step), the page never jumps forward by
 * more than one stage, and it ends on done. Going back is allowed: a job the queue re-runs (a
 * stalled worker) really does start again from preparation, and the page shows that truthfully.
 */
function expectNoStageMissed(log: string[]) {
  const all = [...PIPELINE_STAGES, 'done'] as string[];
  const seen = log.filter((s) => all.includes(s));
  expect(all.indexOf(seen[0] as string)).toBeGreaterThanOrEqual(0);
  expect(all.indexOf(seen[0] as string)).toBeLessThanOrEqual(all.indexOf('contract'));
  for (let i = 1; i < seen.length; i++) {
    const jump = all.indexOf(seen[i] as string) - all.indexOf(seen[i - 1] as string);
    expect(jump, `stage log ${seen.join(',')}`).toBeLessThanOrEqual(1);
  }
  expect(seen.at(-1)).toBe('done');
  if (seen.length !== all.length - all.indexOf(seen[0] as string)) {
    console.warn('the analysis restarted mid-way (re-run by the queue):', seen.join(' → '));
  }
}

/**
 * Whether the page saw the analysis start over (a stage before the one it had shown): the queue
 * re-ran the job, e.g. after a stalled lock. The worker's log is kept for diagnosis.
 */
async function restarted(log: string[]): Promise<boolean> {
  const all = [...PIPELINE_STAGES, 'done'] as string[];
  const idx = log.filter((s) => all.includes(s)).map((s) => all.indexOf(s));
  const again = idx.some((v, i) => i > 0 && v < (idx[i - 1] as number));
  if (again) {
    await mkdir(SCREENSHOTS, { recursive: true });
    await writeFile(
      join(SCREENSHOTS, '..', `worker-restart-${Date.now()}.log`),
      stack.workers.map((w) => w.output()).join('\n'),
    );
  }
  return again;
}

/** The progress streams the page opens, with the lastEventId each one resumes from (query or header). */
function progressRequests(page: Page): { lastEventId: string | null }[] {
  const seen: { lastEventId: string | null }[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (!url.pathname.startsWith('/trpc/analysis.progress')) return;
    const input = JSON.parse(url.searchParams.get('input') ?? '{}') as { lastEventId?: string | null };
    seen.push({ lastEventId: req.headers()['last-event-id'] ?? input.lastEventId ?? null });
  });
  return seen;
}

describe('live progress survives the network and the page', () => {
  it('shows offline/reconnecting during a network drop, then live, and misses no stage', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['contract']);
    await waitForConnection(page, ['live']);
    const before = await recorded(page);
    const resumes = progressRequests(page);

    await context.setOffline(true);
    await waitForConnection(page, ['offline', 'reconnecting']);
    await screenshot(page, 'progress-offline');
    // Stay offline across at least one stage boundary.
    await page.waitForTimeout(2500);
    const [mid] = await stack.db.execute<{ progress_stage: string; status: string }>(
      sql`SELECT progress_stage, status FROM analyses WHERE analysis_id = ${analysisId}`,
    );
    expect(mid?.status).toBe('running');
    await context.setOffline(false);

    await waitForConnection(page, ['live', 'ended']);
    await waitForStatus(page, 'completed');
    const after = await recorded(page);
    const conn = after.conn.slice(before.conn.length);
    // The indicator went offline or reconnecting, then came back live (or straight to finished).
    const drop = conn.findIndex((c) => c === 'offline' || c === 'reconnecting');
    expect(drop).toBeGreaterThanOrEqual(0);
    expect(conn.slice(drop + 1).some((c) => c === 'live' || c === 'ended')).toBe(true);
    // The page saw every stage; the bar continued from where it was when the network came back.
    expectNoStageMissed(await stageLog(page));
    const lastBefore = before.percent.at(-1) ?? 0;
    const continued = after.percent.slice(before.percent.length).every((p) => p >= lastBefore);
    expect(continued || (await restarted(await stageLog(page)))).toBe(true);
    // It reconnected with the id of the last event it had, so it got only what it missed.
    console.info(
      'network drop: indicator',
      conn.join(' → '),
      '| resumed with',
      resumes.map((r) => r.lastEventId),
    );
    expect(resumes.some((r) => r.lastEventId)).toBe(true);
    // Nothing below the bar moved while it updated.
    expect(after.noticeTops.length).toBeLessThanOrEqual(1);
    await page.close();
  });

  it('resumes after a reload mid-analysis from the last event id, missing no stage', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['obligations']);
    const beforeReload = await stageLog(page);
    const stored = await page.evaluate(
      (id) => (globalThis as unknown as PageGlobals).localStorage.getItem(`revmemo:progress:${id}`),
      analysisId,
    );
    const lastId = JSON.parse(stored ?? '{}').id as string;
    expect(lastId).toBeTruthy();

    const resumes = progressRequests(page);
    await page.reload();
    await page.locator('.progress-panel').waitFor();
    const resumed = await stageLog(page);
    expect(resumed.slice(0, beforeReload.length)).toEqual(beforeReload);
    await waitForConnection(page, ['live', 'ended']);
    await waitForStatus(page, 'completed');
    expectNoStageMissed(await stageLog(page));
    // The first stream after the reload resumed from the stored last event id.
    expect(resumes[0]?.lastEventId).toBe(lastId);
    await page.getByTestId('memo').waitFor();
    await page.close();
  });

  it('shows the final state at once when the analysis ended while the page was gone', async () => {
    const page = await context.newPage();
    const analysisId = await startAnalysis(page);
    await waitForStage(page, ['contract', 'obligations']);
    await page.goto('about:blank');
    await expect
      .poll(
        async () =>
          (
            await stack.db.execute<{ status: string }>(
              sql`SELECT status FROM analyses WHERE analysis_id = ${analysisId}`,
            )
          )[0]?.status,
        { timeout: 45_000, interval: 250 },
      )
      .toBe('completed');
    await page.goto(`${stack.url}/analyses/${analysisId}`);
    await waitForStatus(page, 'completed', 5000);
    await page.getByTestId('memo').waitFor({ timeout: 5000 });
    await page.close();
  });

  it('starts one analysis on a double click of "Confirm & analyze"', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.url}/`);
    const [before] = await stack.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM analyses`);
    await quoteFiles(page, [contractPath]);
    await page.getByTestId('confirm').dblclick();
    await analysisIdFromUrl(page);
    // Give a second request time to land, were there one.
    await page.waitForTimeout(1000);
    const [after] = await stack.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM analyses`);
    expect((after?.n ?? 0) - (before?.n ?? 0)).toBe(1);
    await page.close();
  });

  it('lists analyses in History with a live bar for running ones', async () => {
    const page = await context.newPage();
    await startAnalysis(page);
    await waitForStage(page, ['contract', 'obligations']);
    await page.getByRole('link', { name: 'History', exact: true }).first().click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    const running = page.locator('tr[data-status=running], tr[data-status=queued]').first();
    await running.locator('[role=progressbar]').waitFor();
    await screenshot(page, 'history', { docs: true });
    await page.locator('tr[data-status=completed]').first().waitFor();
    await page.close();
  });
});
