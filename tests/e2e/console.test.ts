import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import {
  accessibilityViolations,
  accessibleRows,
  LAPTOP,
  launchBrowser,
  openPage,
  PHONE,
  readTerminal,
  screenshot,
  signIn,
} from '../support/console-browser.js';

/**
 * The web console in Debian's Chromium against a real rdev (local runtime, the fake `claude` on
 * the workspace PATH): one server and one browser for the file.
 */
describe('the web console in a browser', () => {
  let app: CommandTestApp;
  let browser: Browser;
  const seq = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
  const commandUrl = (id: string) => `${app.url}/console/commands/${encodeURIComponent(id)}`;

  beforeAll(async () => {
    [app, browser] = await Promise.all([
      startCommandApp('local', { RDEV_WEBHOOK_ALLOW_PRIVATE: 'true' }),
      launchBrowser(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Where two long lists part, with some context; null when they are equal. */
  const firstDifference = (actual: string[], expected: string[]) => {
    const at = expected.findIndex((line, i) => actual[i] !== line);
    if (at === -1 && actual.length === expected.length) return null;
    const i = at === -1 ? expected.length : at;
    return {
      at: i,
      lengths: [actual.length, expected.length],
      actual: actual.slice(i - 2, i + 3),
      expected: expected.slice(i - 2, i + 3),
    };
  };

  /** The last lines of the terminal as its accessibility tree shows them (refreshed about once a second). */
  const shownLines = async (page: Page) =>
    (await accessibleRows(page)).map((r) => r.text).filter((text) => text !== '');

  it('signs in with the printed key, keeps it out of the address bar, and shows its scopes', async () => {
    const { context, page, problems } = await openPage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${app.url}/`);
    expect(new URL(page.url()).pathname).toBe('/console');
    await page.getByLabel('API key').fill('rdev_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('does not accept this key');
    // The browser reports the refused request itself.
    expect(problems.splice(0)).toEqual([expect.stringContaining('401')]);

    await page.getByLabel('API key').fill(app.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
    expect(page.url()).not.toContain(app.adminKey);
    expect(await page.evaluate(() => sessionStorage.getItem('rdev.apiKey'))).toBe(app.adminKey);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).toBe('{}');
    expect(await context.cookies()).toEqual([]);

    await page.locator('.key-menu summary').click();
    const scopes = await page.getByRole('list', { name: 'Scopes of this key' }).innerText();
    expect(scopes).toContain('admin');

    // Every request went to rdev itself: nothing from a CDN, no fonts from elsewhere.
    expect(requests.length).toBeGreaterThan(3);
    for (const url of requests) expect(url.startsWith(app.url), url).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('runs `seq 1 20000` from the form and shows its last line', async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, app.adminKey);
    await page.getByRole('link', { name: 'Run', exact: true }).click();
    await page.getByRole('textbox', { name: 'Program and arguments' }).fill('seq 1 20000');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('Output complete.').waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).pathname).toMatch(/^\/console\/commands\/.+/);
    await expect
      .poll(() => shownLines(page), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['19999', '20000', 'command succeeded (exit code 0)']));
    expect((await shownLines(page)).at(-1)).toBe('command succeeded (exit code 0)');
    await expect.poll(() => page.getByTestId('exit-code').textContent()).toBe('0');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('resumes after the network is cut mid-run: the terminal holds every line exactly once', async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, app.adminKey);
    await page.goto(`${app.url}/console/run`);
    await page.getByRole('radio', { name: 'A script (sh -c)' }).check();
    // Half the lines, then a wait for the test's signal, then the other half.
    await page
      .getByRole('textbox', { name: 'Script' })
      .fill('seq 1 10000; while [ ! -e resume ]; do sleep 0.05; done; seq 10001 20000');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/console\/commands\//);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await expect.poll(async () => (await shownLines(page)).at(-1), { timeout: 30_000 }).toBe('10000');

    await context.setOffline(true);
    await page.getByText('Offline: reconnecting when the network is back').waitFor();
    // The command goes on and ends while the browser is away.
    writeFileSync(join(app.workspace, 'resume'), '');
    expect((await app.waitForEnd(id, 30_000)).status).toBe('SUCCEEDED');
    expect((await shownLines(page)).at(-1)).toBe('10000');
    await context.setOffline(false);

    await page.getByText('Output complete.').waitFor({ timeout: 60_000 });
    const lines = await readTerminal(page);
    expect(firstDifference(lines, [...seq(1, 20000), 'command succeeded (exit code 0)'])).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('opens a deep link to a finished command and replays it, stderr and exit code included', async () => {
    const command = await app.runShell({ script: 'printf "alpha\\nbeta\\n"; echo oops >&2; exit 3' });
    await app.waitForEnd(command.id);
    const { context, page, problems } = await openPage(browser);
    // A fresh tab: signing in keeps the deep link.
    await page.goto(commandUrl(command.id));
    await page.getByLabel('API key').fill(app.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Output complete.').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/commands/${encodeURIComponent(command.id)}`);
    await expect.poll(() => page.getByTestId('exit-code').textContent()).toBe('3');
    await expect.poll(() => page.getByRole('status', { name: 'Status: failed' }).count()).toBe(1);
    expect(await readTerminal(page)).toEqual([
      'alpha',
      'beta',
      'oops',
      expect.stringMatching(/^command failed \(exit code 3\)/),
    ]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('opens a deep link mid-run, replays what came before and follows to the end', async () => {
    const command = await app.runShell({
      script: 'echo first; while [ ! -e go ]; do sleep 0.05; done; echo second',
    });
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, app.adminKey);
    await page.goto(commandUrl(command.id));
    await expect.poll(() => shownLines(page), { timeout: 20_000 }).toEqual(['first']);
    expect(await page.getByTestId('follow-state').textContent()).toBe('Following live output…');
    writeFileSync(join(app.workspace, 'go'), '');
    await page.getByText('Output complete.').waitFor({ timeout: 30_000 });
    expect(await readTerminal(page)).toEqual(['first', 'second', 'command succeeded (exit code 0)']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a Claude run as a conversation, tool use folded, with cost and tokens', async () => {
    const { runClaude } = await app.gql(
      `mutation { runClaude(input: { projectName: "demo", prompt: "Tidy the README" }) {
        ... on RunCommandPayload { command { id } } } }`,
    );
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, app.adminKey);
    await page.goto(commandUrl(runClaude.command.id));
    const conversation = page.getByRole('list', { name: 'Conversation' });
    await conversation.getByText('Done. You asked: Tidy the README').waitFor({ timeout: 30_000 });
    await conversation.getByText("I'll look at the workspace first.").waitFor();
    const tool = conversation.locator('details', { hasText: 'Bash' });
    expect(await tool.getAttribute('open')).toBeNull();
    expect(await tool.locator('summary').innerText()).toContain('ls');
    await tool.locator('summary').click();
    await expect.poll(() => tool.innerText()).toContain('README.md');
    const result = conversation.locator('.turn-result');
    await expect.poll(() => result.innerText()).toContain('Cost $0.0123');
    expect(await result.innerText()).toMatch(/12 in · 87 out/);
    expect(await conversation.innerText()).toContain('25 out');
    // The raw stream-json is one tab away.
    await page.getByRole('tab', { name: 'Raw output' }).click();
    await expect
      .poll(() => shownLines(page))
      .toEqual(expect.arrayContaining([expect.stringContaining('"type":"result"')]));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('creates a key and shows its secret once', async () => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, app.adminKey);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create a key' }).click();
    const form = page.getByRole('form', { name: 'Create a key' });
    await form.getByLabel('Name').fill('ci-bot');
    await form.getByRole('checkbox', { name: 'projects:read' }).check();
    await form.getByRole('checkbox', { name: 'commands:read' }).check();
    await form.getByRole('button', { name: 'Create key' }).click();
    const secretField = page.getByRole('textbox', { name: /Secret of the new key/ });
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^rdev_/);
    // The secret works, with the scopes chosen.
    const viewer = await app.gql('{ viewer { scopes apiKey { name } } }', {}, secret);
    expect(viewer.viewer).toEqual({ scopes: ['PROJECTS_READ', 'COMMANDS_READ'], apiKey: { name: 'ci-bot' } });
    await page.getByRole('button', { name: 'Copy' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Copied|Selected/ })
      .waitFor();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.getByRole('heading', { name: 'ci-bot' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('offers no run form, and no admin pages, to a key without those scopes', async () => {
    const { key } = await app.createKey({ name: 'reader', scopes: ['PROJECTS_READ', 'COMMANDS_READ'] });
    const { context, page, problems } = await openPage(browser);
    await signIn(page, app.url, key);
    await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allInnerTexts()).toEqual(['Projects', 'History']);
    expect(await page.getByRole('link', { name: /Run a command/ }).count()).toBe(0);
    await page.goto(`${app.url}/console/run`);
    await page.getByRole('heading', { name: 'Not available with this key' }).waitFor();
    expect(await page.getByRole('form', { name: 'Run a command' }).count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Program and arguments' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('sends a key revoked while signed in back to the sign-in form', async () => {
    const { key, id } = await app.createKey({
      name: 'short-lived',
      scopes: ['PROJECTS_READ', 'COMMANDS_READ'],
    });
    const { context, page } = await openPage(browser);
    await signIn(page, app.url, key);
    await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
    await app.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }`, { id });
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByLabel('API key').waitFor();
    await page.getByText(/Sign in again/).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('rdev.apiKey'))).toBeNull();
    await context.close();
  });

  it('passes axe on every page at a laptop’s and a phone’s size, with screenshots for review', async () => {
    const finished = await app.runShell({ script: 'for i in 1 2 3; do echo "step $i"; done; echo warn >&2' });
    await app.waitForEnd(finished.id);
    const claude = (
      await app.gql(
        `mutation { runClaude(input: { projectName: "demo", prompt: "Summarise the project" }) {
          ... on RunCommandPayload { command { id } } } }`,
      )
    ).runClaude.command;
    await app.waitForEnd(claude.id);
    const { webhooks } = await app.gql('{ webhooks(first: 1) { edges { node { id } } } }');
    const hookId =
      webhooks.edges[0]?.node.id ??
      (
        await app.gql(
          `mutation { createWebhook(input: { url: "http://127.0.0.1:9/hook", events: [COMMAND_SUCCEEDED, COMMAND_FAILED] }) {
            ... on CreateWebhookPayload { webhook { id } } } }`,
        )
      ).createWebhook.webhook.id;
    await app.gql(`mutation($id: ID!) { pingWebhook(input: { id: $id }) { __typename } }`, { id: hookId });

    const pages: { name: string; path: string; ready: (page: Page) => Promise<unknown> }[] = [
      {
        name: 'projects',
        path: '/console',
        ready: (p) => p.getByRole('link', { name: 'demo', exact: true }).waitFor(),
      },
      {
        name: 'project',
        path: '/console/projects/demo',
        ready: (p) => p.getByText('Latest commands').waitFor(),
      },
      {
        name: 'run',
        path: '/console/run',
        ready: (p) => p.getByRole('form', { name: 'Run a command' }).waitFor(),
      },
      {
        name: 'command',
        path: `/console/commands/${encodeURIComponent(finished.id)}`,
        ready: (p) => p.getByText('Output complete.').waitFor(),
      },
      {
        name: 'claude',
        path: `/console/commands/${encodeURIComponent(claude.id)}`,
        ready: async (p) => {
          await p.getByText('Output complete.').waitFor();
          await p.locator('.turn-result').waitFor();
        },
      },
      {
        name: 'history',
        path: '/console/commands',
        ready: (p) => p.locator('table.command-table').waitFor(),
      },
      {
        name: 'keys',
        path: '/console/keys',
        ready: (p) => p.getByRole('list', { name: 'API keys' }).waitFor(),
      },
      {
        name: 'webhooks',
        path: '/console/webhooks',
        ready: (p) => p.getByRole('list', { name: 'Webhooks' }).waitFor(),
      },
      {
        name: 'webhook',
        path: `/console/webhooks/${encodeURIComponent(hookId)}`,
        ready: (p) => p.getByRole('list', { name: 'Deliveries' }).locator('li').first().waitFor(),
      },
      { name: 'audit', path: '/console/audit', ready: (p) => p.locator('table.audit-table').waitFor() },
    ];
    const found: string[] = [];
    for (const viewport of [LAPTOP, PHONE]) {
      const { context, page, problems } = await openPage(browser, viewport);
      await page.goto(`${app.url}/console`);
      await page.getByLabel('API key').waitFor();
      found.push(...(await accessibilityViolations(page)).map((v) => `sign-in: ${v}`));
      await screenshot(page, 'sign-in');
      await signIn(page, app.url, app.adminKey);
      for (const { name, path, ready } of pages) {
        await page.goto(`${app.url}${path}`);
        await ready(page);
        found.push(...(await accessibilityViolations(page)).map((v) => `${name}: ${v}`));
        await screenshot(page, name);
        // Nothing wider than the window: the page scrolls only up and down.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} at ${viewport.width}px`).toBeLessThanOrEqual(0);
      }
      expect(problems).toEqual([]);
      await context.close();
    }
    expect(found).toEqual([]);
  });
});
