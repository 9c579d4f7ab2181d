import type { Page } from 'playwright-core';

/**
 * The root tsconfig has no DOM lib (Node code): page callbacks reach the page's globals through
 * this narrow view instead.
 */
interface PageElement {
  getAttribute(name: string): string | null;
}
export interface PageGlobals {
  document: { querySelector(selector: string): PageElement | null; documentElement: { scrollWidth: number } };
  innerWidth: number;
  localStorage: { getItem(key: string): string | null };
}

/**
 * Installs a recorder in every page of the context: what the connection indicator said, the
 * percents the bar showed, and where the notice under the bar stood, measured from the bar (it must
 * never move: every line of the panel has a fixed height).
 */
export const RECORDER = `
(() => {
  const w = window;
  w.__conn = []; w.__percent = []; w.__noticeTop = new Set();
  setInterval(() => {
    const c = document.querySelector('[data-connection]')?.getAttribute('data-connection');
    if (c && w.__conn[w.__conn.length - 1] !== c) w.__conn.push(c);
    const bar = document.querySelector('.progress-panel [role=progressbar]');
    const p = bar ? Number(bar.getAttribute('aria-valuenow')) : null;
    if (p !== null && w.__percent[w.__percent.length - 1] !== p) w.__percent.push(p);
    const notice = document.querySelector('.notice');
    // Measured from the bar: a page-wide banner above both ("Reconnecting…" when a request fails)
    // moves the whole page, which is not the panel's lines changing height.
    if (notice && bar)
      w.__noticeTop.add(Math.round(notice.getBoundingClientRect().top - bar.getBoundingClientRect().top));
  }, 40);
})();
`;

export async function recorded(
  page: Page,
): Promise<{ conn: string[]; percent: number[]; noticeTops: number[] }> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { __conn: string[]; __percent: number[]; __noticeTop: Set<number> };
    return { conn: [...w.__conn], percent: [...w.__percent], noticeTops: [...w.__noticeTop] };
  });
}

export async function waitForStage(page: Page, stages: string[], timeoutMs = 30_000) {
  await page.waitForFunction(
    (s) =>
      s.includes(
        (globalThis as unknown as PageGlobals).document
          .querySelector('.analysis')
          ?.getAttribute('data-stage-log')
          ?.split(',')
          .pop() ?? '',
      ),
    stages,
    { timeout: timeoutMs, polling: 50 },
  );
}

export async function waitForConnection(page: Page, states: string[], timeoutMs = 15_000) {
  await page.waitForFunction(
    (s) =>
      s.includes(
        (globalThis as unknown as PageGlobals).document
          .querySelector('[data-connection]')
          ?.getAttribute('data-connection') ?? '',
      ),
    states,
    { timeout: timeoutMs, polling: 20 },
  );
}

export async function waitForStatus(page: Page, status: string, timeoutMs = 45_000) {
  await page.waitForFunction(
    (s) =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('.analysis')
        ?.getAttribute('data-status') === s,
    status,
    {
      timeout: timeoutMs,
      polling: 100,
    },
  );
}
