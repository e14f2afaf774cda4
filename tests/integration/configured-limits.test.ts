import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import { runRdev } from '../support/rdev-process.js';
import { until } from '../support/wait.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Settings read from the environment reach the code that enforces them through the real
 * composition root: each is set to a value that changes what a client sees, and checked from the
 * API.
 */
describe('settings, wired through the real root', () => {
  let t: CommandTestApp | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const RUN_CLAUDE = `mutation($input: RunClaudeInput!) { runClaude(input: $input) {
    __typename ... on RunCommandPayload { command { id status } } ... on Error { code message } } }`;
  const raw = async (app: CommandTestApp, query: string, variables: Record<string, unknown> = {}) =>
    (await app.graphql(query, variables, app.auth())).body;

  it('RDEV_PROMPT_MAX_BYTES bounds a Claude prompt, counted in UTF-8 bytes', async () => {
    t = await startCommandApp('local', { RDEV_PROMPT_MAX_BYTES: '64' });
    const refused = await raw(t, RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'é'.repeat(33) } });
    expect(refused.data.runClaude).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/64/),
    });
    const accepted = await raw(t, RUN_CLAUDE, { input: { projectName: 'demo', prompt: 'é'.repeat(32) } });
    expect(accepted.data.runClaude.__typename).toBe('RunCommandPayload');
  });

  it('RDEV_GRAPHQL_MAX_COST and RDEV_GRAPHQL_MAX_TOKENS, lowered and raised, move where queries are refused', async () => {
    // 100 commands with 100 output events each is over the default cost limit (5000).
    const heavy = '{ commands(first: 100) { edges { node { id output(first: 100) { seq } } } } }';
    const light = '{ commands(first: 5) { edges { node { id } } } }';
    const long = `{ viewer { ${Array.from({ length: 60 }, () => 'scopes').join(' ')} } }`;
    const refusal = (body: any) => body.errors?.[0]?.extensions?.code as string | undefined;

    t = await startCommandApp('local');
    expect(refusal(await raw(t, heavy))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refusal(await raw(t, light))).toBeUndefined();
    expect(refusal(await raw(t, long))).toBeUndefined();
    await t.close();

    t = await startCommandApp('local', { RDEV_GRAPHQL_MAX_COST: '50000' });
    expect(refusal(await raw(t, heavy))).toBeUndefined();
    await t.close();

    t = await startCommandApp('local', { RDEV_GRAPHQL_MAX_COST: '3', RDEV_GRAPHQL_MAX_TOKENS: '40' });
    const cost = await raw(t, light);
    expect(refusal(cost)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(cost.errors[0].message).toMatch(/^Query cost limit of 3 exceeded, found \d+\. Lists count/);
    expect(refusal(await raw(t, long))).toBe('GRAPHQL_PARSE_FAILED');
    expect(refusal(await raw(t, '{ viewer { scopes } }'))).toBeUndefined();
  });

  it('RDEV_PROJECTS_FILE names the projects file, wherever it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdev-projects-file-'));
    dirs.push(dir);
    const file = join(dir, 'elsewhere.yaml');
    writeFileSync(file, 'demo:\n  allowed_commands: [git]\n');
    t = await startCommandApp('local', { RDEV_PROJECTS_FILE: file });
    const { project } = await t.gql('{ project(name: "demo") { allowedCommandTypes } }');
    expect(project.allowedCommandTypes).toEqual(['GIT']);
    const refused = await raw(
      t,
      `mutation { runShell(input: { projectName: "demo", argv: ["true"] }) { __typename ... on Error { code } } }`,
    );
    expect(refused.data.runShell).toEqual({
      __typename: 'CommandNotAllowedError',
      code: 'COMMAND_NOT_ALLOWED',
    });
  });

  it('RDEV_CLAUDE_CONFIG_LIST_MAX_BYTES stops a listing sending content past its budget', async () => {
    t = await startCommandApp('local', { RDEV_CLAUDE_CONFIG_LIST_MAX_BYTES: '1500' });
    const commands = join(t.workspace, '.claude', 'commands');
    mkdirSync(commands, { recursive: true });
    for (const name of ['a', 'b', 'c']) writeFileSync(join(commands, `${name}.md`), `${name.repeat(1000)}\n`);
    const { project } = await t.gql(
      '{ project(name: "demo") { claudeConfigItems(kind: COMMAND) { name content size } } }',
    );
    const items = project.claudeConfigItems as { name: string; content: string | null; size: number }[];
    expect(items.map((i) => i.name)).toEqual(['a', 'b', 'c']);
    expect(items.every((i) => i.size === 1001)).toBe(true);
    // The first fits; what would pass the budget comes without content, to be asked for by name.
    expect(items.map((i) => i.content !== null)).toEqual([true, false, false]);
    expect(items[0]!.content).toBe(`${'a'.repeat(1000)}\n`);
  });

  it('RDEV_WEBHOOK_MAX_RETRY_AFTER_SECONDS caps how long a receiver can make rdev wait', async () => {
    const receiver = await startWebhookReceiver((_request, res) => {
      res.writeHead(503, { 'retry-after': '86400' });
      res.end();
    });
    try {
      t = await startCommandApp('local', {
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
        RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
        RDEV_WEBHOOK_MAX_RETRY_AFTER_SECONDS: '120',
      });
      const { createWebhook } = await t.gql(
        `mutation($url: String!) { createWebhook(input: { url: $url, events: [WEBHOOK_PING] }) {
          ... on CreateWebhookPayload { webhook { id } } } }`,
        { url: `${receiver.origin}/hook` },
      );
      const id = createWebhook.webhook.id;
      await t.gql('mutation($id: ID!) { pingWebhook(input: { id: $id }) { __typename } }', { id });
      let delivery: {
        lastAttemptAt: string | null;
        nextAttemptAt: string | null;
        lastStatusCode: number | null;
      };
      await until(
        async () => {
          const { webhooks: webhook } = await t!.gql(
            '{ webhooks { edges { node { deliveries(first: 1) { edges { node { lastAttemptAt nextAttemptAt lastStatusCode } } } } } } }',
          );
          delivery = webhook.edges[0]?.node.deliveries.edges[0]?.node;
          return delivery?.lastStatusCode === 503;
        },
        20_000,
        'the first attempt to be answered 503',
      );
      // The receiver asked for a day; the cap holds it to two minutes (plus the retry jitter).
      const waitMs = Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.lastAttemptAt!);
      expect(waitMs).toBeGreaterThan(60_000);
      expect(waitMs).toBeLessThanOrEqual(120_000 * 1.25);
    } finally {
      await receiver.close();
    }
  });

  it('`rdev keys generate` prints a fresh key in the format rdev accepts', async () => {
    const runs = [1, 2].map(() => runRdev(['keys', 'generate'], {}));
    const keys = await Promise.all(
      runs.map(async (run) => {
        expect((await run.exited).code).toBe(0);
        return run.stdout().trim();
      }),
    );
    for (const key of keys) expect(key).toMatch(/^rdev_[A-Za-z0-9_-]{32,}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });
});
