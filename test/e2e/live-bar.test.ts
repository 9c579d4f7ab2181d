import { PIPELINE_STAGES, type StageId, stageInfo } from '@revmemo/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONTRACT } from '../support/contracts';
import { type AppProcess, startWorker } from '../support/processes';
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
import type { PageGlobals } from './watch';

/**
 * The bar within a step (issue 17; docs/progress-transport.md, "Progress within a step"): while
 * the simulated model streams each answer over a few seconds, the bar advances inside the stage,
 * never back, and the line under it shows the latest finding, replaced when the next stage starts.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** Every change of what the panel shows: its stage, the fill's width, the finding line. */
const SAMPLER = `
(() => {
  const w = window;
  w.__samples = [];
  setInterval(() => {
    const panel = document.querySelector('.progress-panel');
    if (!panel) return;
    const fill = panel.querySelector('.bar-fill');
    const sample = {
      stage: panel.getAttribute('data-stage'),
      width: fill ? parseFloat(fill.style.width) : null,
      now: Number(panel.querySelector('[role=progressbar]').getAttribute('aria-valuenow')),
      finding: panel.querySelector('[data-testid=progress-finding]')?.textContent ?? null,
    };
    const last = w.__samples[w.__samples.length - 1];
    if (!last || last.stage !== sample.stage || last.width !== sample.width || last.finding !== sample.finding)
      w.__samples.push(sample);
  }, 30);
})();
`;
interface Sample {
  stage: StageId;
  width: number;
  now: number;
  finding: string | null;
}

/** The simulated model's pacing: each answer streams over `streamMs`. */
function paceAnswers(streamMs: number) {
  return stack.sim.configure({ streamMs, streamChunks: 60 });
}

/** Submits the small contract from the home page and waits until the bar stands inside step 2. */
async function submitAndWaitInsideStep2() {
  const [contract] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
  await page.goto(`${stack.url}/`);
  await quoteFiles(page, [contract as string]);
  await page.getByTestId('confirm').click();
  await analysisIdFromUrl(page);
  // Past the stage's start: the position came from partial events.
  const within = `.progress-panel[data-stage=obligations] [role=progressbar]:not([aria-valuenow="${stageInfo('obligations').percent}"])`;
  await page.locator(within).waitFor({ timeout: 60_000 });
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    // A killed worker's job is taken over within seconds (the take-over test below).
    startProductStack({ extraEnv: { WORKER_LOCK_DURATION_MS: '3000', WORKER_STALLED_INTERVAL_MS: '1000' } }),
    launchBrowser(),
  ]);
  context = await newContext(browser);
  await context.addInitScript({ content: SAMPLER });
  page = await context.newPage();
  await signUpInBrowser(page, stack.url);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the bar within a step', () => {
  it('advances inside each stage, never back, with the latest finding under it', async () => {
    await paceAnswers(2_500);
    const [contract] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
    await quoteFiles(page, [contract as string]);
    await page.getByTestId('confirm').click();
    const analysisId = await analysisIdFromUrl(page);
    await page.locator('[data-testid=progress-finding]:not(:empty)').first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'live-bar-finding');
    await page.getByTestId('memo').waitFor({ timeout: 120_000 });
    const samples = await page.evaluate(() => (globalThis as unknown as { __samples: Sample[] }).__samples);

    // Never back: neither the fill nor the number.
    const widths = samples.map((s) => s.width);
    expect(widths).toEqual([...widths].sort((a, b) => a - b));
    const nows = samples.map((s) => s.now);
    expect(nows).toEqual([...nows].sort((a, b) => a - b));

    // Within a step the fill stands between the stage's start and the next stage's, at several places.
    const steps = PIPELINE_STAGES.filter((s) => s !== 'preparation' && s !== 'memo');
    const inside = steps.map((stage) => {
      const from = stageInfo(stage).percent;
      const to = stageInfo(PIPELINE_STAGES[PIPELINE_STAGES.indexOf(stage) + 1] as StageId).percent;
      return new Set(
        samples.filter((s) => s.stage === stage && s.width > from && s.width < to).map((s) => s.width),
      ).size;
    });
    expect(
      inside.filter((n) => n >= 2).length,
      `positions inside each step: ${inside.join(', ')}`,
    ).toBeGreaterThanOrEqual(3);

    // The finding line: several findings, each belonging to one stage (a new stage clears it).
    const findings = samples.filter((s) => s.finding);
    expect(new Set(findings.map((s) => s.finding)).size).toBeGreaterThanOrEqual(3);
    const stagesOf = new Map<string, Set<string>>();
    for (const s of findings)
      stagesOf.set(s.finding as string, (stagesOf.get(s.finding as string) ?? new Set()).add(s.stage));
    for (const [finding, stages] of stagesOf) expect([...stages], finding).toHaveLength(1);
    // Each stage after the first starts with an empty line or its own finding, never the last stage's.
    for (let i = 1; i < samples.length; i++) {
      const [before, after] = [samples[i - 1] as Sample, samples[i] as Sample];
      if (before.stage !== after.stage && after.finding) expect(after.finding).not.toBe(before.finding);
    }

    // Done: the memo's strip replaces the panel, finding line and all, and stays after a reload.
    expect(await page.getByTestId('progress-finding').count()).toBe(0);
    await page.goto(`${stack.url}/analyses/${analysisId}`);
    await page.getByTestId('memo').waitFor();
    expect(await page.getByTestId('progress-finding').count()).toBe(0);
  }, 240_000);

  it('resumes mid-step after a reload where the bar stood, never behind it, missing no stage', async () => {
    await paceAnswers(2_500);
    await submitAndWaitInsideStep2();
    const before = await page.evaluate(() => (globalThis as unknown as { __samples: Sample[] }).__samples);
    const stoodAt = (before.at(-1) as Sample).width;

    await page.reload();
    await page.getByTestId('memo').waitFor({ timeout: 120_000 });
    const after = await page.evaluate(() => (globalThis as unknown as { __samples: Sample[] }).__samples);
    const widths = after.map((s) => s.width);
    expect(widths[0], 'the reloaded page starts where the bar stood').toBeGreaterThanOrEqual(stoodAt);
    expect(widths).toEqual([...widths].sort((a, b) => a - b));
    // The page's stage log goes on from where it stood before the reload, with no stage skipped.
    const log = (await page.locator('.analysis').getAttribute('data-stage-log'))?.split(',') ?? [];
    const all: string[] = ['queued', ...PIPELINE_STAGES, 'done'];
    const first = all.indexOf(log[0] ?? '');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(all.indexOf('obligations'));
    expect(log).toEqual(all.slice(first));
    expect(await page.getByTestId('memo').isVisible()).toBe(true);
  }, 240_000);

  it('says a new worker took over, and keeps saying it while the bar goes on within the stage', async () => {
    await paceAnswers(2_500);
    await submitAndWaitInsideStep2();

    // The worker dies mid-answer; another takes the job over and redoes step 2 from its start.
    const dead = stack.workers[0] as AppProcess;
    dead.kill('SIGKILL');
    await dead.exited;
    stack.workers[0] = await startWorker(stack.env);
    const notice = page.locator('[data-testid=progress-notice].notice-resumed');
    await notice.waitFor({ timeout: 60_000 });
    const bar = page.locator('.progress-panel [role=progressbar]');
    const [stage, from] = [
      await page.locator('.progress-panel').getAttribute('data-stage'),
      Number(await bar.getAttribute('aria-valuenow')),
    ];
    // Partial events of the new run move the bar on; the notice stays until the next stage.
    await page.waitForFunction(
      ({ stage, from }) => {
        const d = (globalThis as unknown as PageGlobals).document;
        const panel = d.querySelector('.progress-panel');
        const now = Number(
          d.querySelector('.progress-panel [role=progressbar]')?.getAttribute('aria-valuenow'),
        );
        return (
          panel?.getAttribute('data-stage') === stage &&
          now > from &&
          d.querySelector('[data-testid=progress-notice].notice-resumed') !== null
        );
      },
      { stage, from },
      { timeout: 60_000 },
    );
    await page.getByTestId('memo').waitFor({ timeout: 120_000 });
  }, 240_000);

  it('slides the fill between updates, and not for a reader who asked for reduced motion', async () => {
    const [contract] = await fixtureFiles({ 'msa.txt': SMALL_CONTRACT });
    await page.goto(`${stack.url}/`);
    await quoteFiles(page, [contract as string]);
    await page.getByTestId('confirm').click();
    await page.locator('.progress-panel .bar-fill').waitFor();
    const transition = (p: Page) =>
      p.locator('.progress-panel .bar-fill').evaluate((el) => {
        const style = (
          globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
        ).getComputedStyle(el);
        return { property: style.transitionProperty, duration: style.transitionDuration };
      });
    const moving = await transition(page);
    expect(moving.property).toContain('width');
    expect(moving.duration).not.toBe('0s');
    // Announced politely by a hidden region, not by the line that changes several times a second.
    const live = page.getByTestId('progress-finding-announced');
    expect(await live.getAttribute('aria-live')).toBe('polite');
    expect(await page.getByTestId('progress-finding').getAttribute('aria-live')).toBeNull();

    const calm = await context.newPage();
    await calm.emulateMedia({ reducedMotion: 'reduce' });
    await calm.goto(page.url());
    await calm.locator('.progress-panel .bar-fill').waitFor();
    expect((await transition(calm)).duration).toBe('0s');
    await calm.close();
  }, 120_000);
});
