import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { mailedLinkFromLog, repoRoot } from '../support/processes';

const SCREENSHOTS = resolve(repoRoot, 'test-results/screenshots');
const DOC_SCREENSHOTS = resolve(repoRoot, 'docs/screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
}

/** Debian's Chromium driven by playwright-core (no downloaded browser builds here). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

export async function newContext(
  browser: Browser,
  opts: { width?: number; height?: number } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  recordCspViolations(context);
  return context;
}

const violations = new WeakMap<BrowserContext, string[]>();

/**
 * Every Content-Security-Policy violation in the context's pages, from both sides: the page's
 * `securitypolicyviolation` events (reported to the console by an init script) and Chromium's own
 * console errors ("Refused to … because it violates the following Content Security Policy …").
 */
function recordCspViolations(context: BrowserContext) {
  const found: string[] = [];
  violations.set(context, found);
  void context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => {
      console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
    });`,
  });
  context.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|CSP violation/i.test(text)) found.push(text);
  });
}

/** The CSP violations seen so far in pages of this context (see newContext). */
export function cspViolations(context: BrowserContext): string[] {
  return [...(violations.get(context) ?? [])];
}

export async function screenshot(
  page: Page,
  name: string,
  opts: { fullPage?: boolean; docs?: boolean } = {},
) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? false, animations: 'disabled' });
  // README images change only on request (UPDATE_SCREENSHOTS=1 pnpm test), so a test run leaves the tree clean.
  if (opts.docs && process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOC_SCREENSHOTS, { recursive: true });
    await copyFile(path, join(DOC_SCREENSHOTS, `${name}.png`));
  }
  return path;
}

/**
 * Signs up through the UI, then opens the verification link as the user would from their mail (the
 * server logs it: tests run without MAIL_URL), so the welcome credits are there; lands on the New
 * analysis page. `{ verify: false }` stops after sign-up, with the "check your email" banner showing.
 */
export async function signUpInBrowser(
  page: Page,
  baseUrl: string,
  email = `e2e-${Math.random().toString(36).slice(2, 10)}@example.com`,
  opts: { verify?: boolean } = {},
) {
  await page.goto(`${baseUrl}/sign-up`);
  await page.getByLabel('Name').fill('Dana Controller');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'New analysis' }).waitFor();
  if (opts.verify !== false) {
    await page.getByTestId('verify-banner').waitFor();
    await page.goto(await mailedLinkFromLog(baseUrl, email));
    await page.getByTestId('email-verified').waitFor();
    await page.getByRole('link', { name: 'Continue to Revmemo' }).click();
    await page.getByRole('heading', { name: 'New analysis' }).waitFor();
  }
  return { email, password: 'correct horse battery staple' };
}

/** Writes files for upload into a temp folder. */
export async function fixtureFiles(files: Record<string, string | Uint8Array>): Promise<string[]> {
  const dir = join(tmpdir(), `revmemo-e2e-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const p = join(dir, name);
    await writeFile(p, content);
    paths.push(p);
  }
  return paths;
}

/** Picks files, asks for a quote and waits for it. */
export async function quoteFiles(page: Page, paths: string[]) {
  await page.locator('input[type=file]').setInputFiles(paths);
  await page.getByRole('button', { name: 'Get quote' }).click();
  // The first quote of a server loads the tokenizer: slow on a loaded machine.
  await page.getByTestId('quote').waitFor({ timeout: 60_000 });
}

export async function analysisIdFromUrl(page: Page): Promise<string> {
  await page.waitForURL(/\/analyses\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop() as string;
}

/** The stages this page has shown, from the page's own log (data-stage-log). */
export async function stageLog(page: Page): Promise<string[]> {
  const log = await page.locator('.analysis').getAttribute('data-stage-log');
  return (log ?? '').split(',').filter(Boolean);
}
