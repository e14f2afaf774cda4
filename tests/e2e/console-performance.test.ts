import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import { launchBrowser, openPage, signIn } from '../support/console-browser.js';

const MAX_FIRST_LOAD_JS_BYTES = 500 * 1024;
const MAX_TAB_BYTES = 300 * 1024 * 1024;
const LINES = 100_000;

/**
 * The tab's own memory: the private pages (resident and swapped out) of the browser's renderer
 * processes, read from /proc, as Chrome's task manager counts a tab's memory footprint. Shared
 * library pages are left out: every Chromium process maps the same ones.
 */
async function rendererBytes(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    const sizes = processInfo
      .filter((p) => p.type === 'renderer')
      .map((p) => {
        const rollup = readFileSync(`/proc/${p.id}/smaps_rollup`, 'utf8');
        const kb = (field: string) =>
          Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? 0);
        return (kb('Private_Clean') + kb('Private_Dirty') + kb('Swap')) * 1024;
      });
    expect(sizes.length).toBeGreaterThan(0);
    // Other renderers (spare or closed tabs) hold a few MB; the tab is the largest.
    return Math.max(...sizes);
  } finally {
    await cdp.detach();
  }
}

/** The text of the terminal's rows as drawn now. */
const drawnRows = (page: Page) =>
  page.$$eval('.xterm-rows > div', (rows) =>
    rows.map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).filter((t) => t !== ''),
  );

/**
 * What the console costs a browser: the JavaScript of a first visit (sign-in, projects, then a
 * command page, which loads the terminal), and a tab showing 100,000 lines of output.
 */
describe('the web console, measured', () => {
  let app: CommandTestApp;
  let browser: Browser;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startCommandApp('local'), launchBrowser()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('loads under 500 KB of compressed JavaScript on a first visit', async () => {
    const command = await app.runShell({ argv: ['echo', 'hello'] });
    await app.waitForEnd(command.id);
    const { context, page } = await openPage(browser);
    const scripts: { url: string; encoding: string | undefined; bytes: Promise<number> }[] = [];
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'script') return;
      scripts.push({
        url: response.url(),
        encoding: response.headers()['content-encoding'],
        // The body's size on the wire, known once it has arrived.
        bytes: response.finished().then(() =>
          response
            .request()
            .sizes()
            .then((s) => s.responseBodySize),
        ),
      });
    });
    await signIn(page, app.url, app.adminKey);
    await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
    await page.goto(`${app.url}/console/commands/${encodeURIComponent(command.id)}`);
    await page.getByText('Output complete.').waitFor();
    await page.locator('.xterm-rows').waitFor();
    const sizes = await Promise.all(scripts.map((s) => s.bytes));
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(
      `console first visit: ${scripts.length} scripts, ${total} bytes of compressed JavaScript (${(total / 1024).toFixed(1)} KB)`,
    );
    // The terminal's chunk was among them, and everything came compressed.
    expect(scripts.some((s) => /xterm-view/.test(s.url))).toBe(true);
    for (const s of scripts) expect(s.encoding, s.url).toBe('br');
    expect(total).toBeGreaterThan(10_000);
    expect(total).toBeLessThan(MAX_FIRST_LOAD_JS_BYTES);
    await context.close();
  });

  it('shows 100,000 lines, stays scrollable, and keeps the tab under 300 MB', async () => {
    const command = await app.runShell({ argv: ['seq', '1', String(LINES)] });
    await app.waitForEnd(command.id, 60_000);
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, app.adminKey);
    const started = Date.now();
    await page.goto(`${app.url}/console/commands/${encodeURIComponent(command.id)}`);
    await page.getByText('Output complete.').waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await drawnRows(page)).at(-2), { timeout: 30_000 }).toBe(String(LINES));
    const shownAfterMs = Date.now() - started;

    // Scrolls to the first line and back to the last, with the keyboard, promptly.
    const terminal = page.getByTestId('terminal');
    await terminal.focus();
    let t = Date.now();
    await page.keyboard.press('Home');
    await expect.poll(async () => (await drawnRows(page))[0]).toBe('1');
    const topMs = Date.now() - t;
    t = Date.now();
    await page.keyboard.press('PageDown');
    await expect.poll(async () => Number((await drawnRows(page))[0])).toBeGreaterThan(10);
    const pageMs = Date.now() - t;
    t = Date.now();
    await page.keyboard.press('End');
    await expect.poll(async () => (await drawnRows(page)).at(-2)).toBe(String(LINES));
    const endMs = Date.now() - t;

    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = (await cdp.send('Performance.getMetrics')) as {
      metrics: { name: string; value: number }[];
    };
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
    const resident = await rendererBytes(browser);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      `console with ${LINES} lines: shown after ${shownAfterMs} ms; Home ${topMs} ms, PageDown ${pageMs} ms, End ${endMs} ms; ` +
        `JS heap ${mb(heap)} MB, tab private memory ${mb(resident)} MB`,
    );
    expect(resident).toBeLessThan(MAX_TAB_BYTES);
    expect(heap).toBeLessThan(MAX_TAB_BYTES);
    expect(problems).toEqual([]);
    await context.close();
  });
});
