/**
 * Drives the web console in Debian's Chromium through playwright-core: one browser per test file,
 * a fresh profile per context (Playwright makes one), no network but this machine. Also reads the
 * terminal the way an assistive technology does (xterm's accessibility tree), runs axe-core on a
 * page, and writes screenshots for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './rdev-process.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'tests', 'artifacts', 'console');
export const LAPTOP = { width: 1400, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page whose uncaught errors and CSP refusals fail the test that reads `problems`. */
export async function openPage(
  browser: Browser,
  viewport = LAPTOP,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    // Dropped connections are expected while a test cuts the network.
    if (message.type() === 'error' && !/ERR_INTERNET_DISCONNECTED|WebSocket connection to/.test(text))
      problems.push(`console error: ${text}`);
  });
  return { context, page, problems };
}

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header.top').waitFor();
}

/** The rows xterm's screen-reader mode exposes: each with its place in the buffer. */
export function accessibleRows(page: Page): Promise<{ at: number; of: number; text: string }[]> {
  return page.$$eval('.xterm-accessibility-tree [aria-posinset]', (els) =>
    els.map((e) => ({
      at: Number(e.getAttribute('aria-posinset')),
      of: Number(e.getAttribute('aria-setsize')),
      text: (e.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd(),
    })),
  );
}

/**
 * Every line of the terminal's buffer, each once, as drawn by xterm's DOM renderer. The buffer's
 * length comes from the accessibility tree (`aria-setsize`, refreshed at most once a second, so it
 * is read until it holds still); then the view is paged from the top with the keyboard, as a person
 * would, each page moving by the view's height less one row, the last one stopping at the end.
 * The window is made tall meanwhile, so each page holds many rows.
 */
export async function readTerminal(page: Page): Promise<string[]> {
  const viewport = page.viewportSize()!;
  let total = 0;
  for (let stable = 0; stable < 2; ) {
    await page.waitForTimeout(1100);
    const of = (await accessibleRows(page))[0]?.of ?? 0;
    stable = of === total ? stable + 1 : 0;
    total = of;
  }
  await page.setViewportSize({ width: viewport.width, height: 4000 });
  try {
    const terminal = page.getByTestId('terminal');
    const drawn = () =>
      page.evaluate(
        () =>
          new Promise<string[]>((resolve) =>
            // Two frames: the scroll is drawn on the next one.
            requestAnimationFrame(() =>
              requestAnimationFrame(() =>
                resolve(
                  [...document.querySelectorAll('.xterm-rows > div')].map((row) =>
                    (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd(),
                  ),
                ),
              ),
            ),
          ),
      );
    await terminal.focus();
    await page.keyboard.press('Home');
    // The taller window re-fits the terminal: wait until the number of rows holds still.
    let rows = await drawn();
    for (let previous = -1; rows.length !== previous; ) {
      previous = rows.length;
      rows = await drawn();
    }
    const height = rows.length;
    const lines: string[] = [];
    for (let top = 0; ; ) {
      lines.push(...rows.slice(lines.length - top));
      if (top + height >= total) break;
      await page.keyboard.press('PageDown');
      top = Math.min(top + height - 1, total - height);
      // Each page starts on a line already read: a frame not yet drawn is read again.
      for (let tries = 0; ; tries++) {
        rows = await drawn();
        if (rows.length === height && rows[0] === lines[top]) break;
        if (tries === 50) throw new Error(`the terminal did not scroll to line ${top + 1}`);
      }
    }
    lines.length = total;
    // Rows below the last output are empty.
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  } finally {
    await page.setViewportSize(viewport);
  }
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol, which the page's Content-Security-Policy does not govern.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 5),
    }));
  });
  return violations
    .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: any) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.join(', ')}`);
}

/** A full-page screenshot at the page's current size, for review by a person. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const { width, height } = page.viewportSize()!;
  const path = join(SCREENSHOTS, `${name}-${width}x${height}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
