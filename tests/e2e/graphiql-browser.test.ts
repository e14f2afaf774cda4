import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import { launchBrowser, openPage } from '../support/console-browser.js';
import { until } from '../support/wait.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

/**
 * What a new user does in GraphiQL: the key typed in the headers pane, a command run, and its
 * output followed by a subscription. GraphiQL opens its graphql-ws connection without
 * `connectionParams` and sends the headers pane with each operation (`extensions.headers`).
 */
describe('GraphiQL in a real browser', () => {
  let t: CommandTestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startCommandApp('local');
    browser = await launchBrowser();
    // Starting the app and a browser takes a while on a busy machine.
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Replaces the text of a GraphiQL editor (Monaco) as a paste would: no auto-closed brackets. */
  const fill = async (page: Page, editor: string, text: string) => {
    await page.locator(`${editor} .monaco-editor:visible`).first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  };
  /** The response pane's text; Monaco wraps long lines, so white space is dropped. */
  const response = async (page: Page) =>
    // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered is what a user reads
    (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, '');

  it('runs a command and follows its output with the key in the headers pane', {
    timeout: 240_000,
  }, async () => {
    const { page } = await openPage(browser);
    await page.goto(`${t.url}/graphql`);
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 60_000 });
    // A first visit opens on rdev's example, not GraphiQL's own welcome.
    // Monaco draws spaces as no-break spaces.
    const editorText = async () =>
      // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered is what a user reads
      (await page.locator('.graphiql-query-editor .monaco-editor').first().innerText()).replace(/\s+/g, ' ');
    await until(
      async () => (await editorText()).includes('Welcome to rdev'),
      30_000,
      'the welcome text',
      async () => `; the editor shows: ${(await editorText()).slice(0, 300)}`,
    );
    expect(await editorText()).toContain('query Projects');

    await page.getByRole('button', { name: 'Headers' }).click();
    await fill(page, '.graphiql-editor-tool', JSON.stringify({ Authorization: `Bearer ${t.adminKey}` }));

    // A command that says it is ready, waits for the test's signal, then prints a line a second.
    const script =
      'echo ready; while [ ! -f go ]; do sleep 0.1; done; for i in 1 2 3; do echo line-$i; sleep 1; done';
    await fill(
      page,
      '.graphiql-query-editor',
      `mutation { runShell(input: { projectName: "demo", script: ${JSON.stringify(script)} }) { ... on RunCommandPayload { command { id status } } ... on Error { code message } } }`,
    );
    await page.locator('.graphiql-execute-button').click();
    await until(async () => /"id":"/.test(await response(page)), 60_000, 'the runShell answer');
    const commandId = /"id":"([^"]+)"/.exec(await response(page))![1]!;

    await fill(
      page,
      '.graphiql-query-editor',
      `subscription { commandOutput(commandId: "${commandId}") { seq data } }`,
    );
    await page.locator('.graphiql-execute-button').click();
    await until(
      async () => (await response(page)).includes('ready'),
      60_000,
      'the first line',
      async () => `; the response pane shows: ${await response(page)}`,
    );
    writeFileSync(join(t.workspace, 'go'), '');
    // GraphiQL shows each event as it arrives: every line is seen in turn.
    const seen = new Set<string>();
    await until(
      async () => {
        for (const line of (await response(page)).match(/line-\d/g) ?? []) seen.add(line);
        return seen.size === 3;
      },
      60_000,
      'the lines to arrive',
      async () => `; seen ${[...seen].join(', ')}`,
    );
    expect([...seen].sort()).toEqual(['line-1', 'line-2', 'line-3']);
    expect(await response(page)).not.toContain('UNAUTHENTICATED');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql-subscription.png') });
  });
});
