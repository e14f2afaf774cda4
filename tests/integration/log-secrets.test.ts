import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * A run that handles every kind of secret rdev sees (API keys, webhook signing secrets, command
 * environments, bearer headers, keys in the wrong places) at debug level: not one of them may
 * reach a log line, while the lines of each request carry its request id and trace id.
 */
describe('logs', () => {
  let t: TestApp;
  let dir: string;
  let receiver: WebhookReceiver;
  const secrets: string[] = [];

  const gql = async (query: string, variables: Record<string, unknown> = {}, headers = t.auth()) => {
    const { body } = await t.graphql(query, variables, headers);
    return body;
  };
  const lines = () =>
    t.logs
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdev-logs-'));
    mkdirSync(join(dir, 'demo'));
    // The receiver fails, and echoes what it got, so failed attempts are logged with details.
    receiver = await startWebhookReceiver((request, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`nope: ${JSON.stringify(request.headers)}`);
    });
    t = await startTestApp('pglite', {
      RDEV_WORKSPACES_DIR: dir,
      RDEV_DISPATCH_INTERVAL_MS: '100',
      RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
      RDEV_WEBHOOK_POLL_INTERVAL_MS: '50',
      RDEV_WEBHOOK_RETRY_SCHEDULE: '1h',
    });
    secrets.push(t.adminKey);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never contain a key, a webhook secret, a bearer token or a command environment value', async () => {
    // Keys: created, rotated, used through both headers, revoked, then used again.
    const created = await t.createKey({ scopes: ['ADMIN'], name: 'log test' });
    secrets.push(created.key);
    const rotated = await gql(
      `mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { ... on RotateApiKeyPayload { secret } } }`,
      { input: { id: created.id, gracePeriodSeconds: 0 } },
    );
    const rotatedKey: string = rotated.data.rotateApiKey.secret;
    secrets.push(rotatedKey);
    expect((await gql('{ viewer { clientIp } }', {}, { 'x-api-key': rotatedKey })).data.viewer).toBeTruthy();
    expect((await gql('{ viewer { clientIp } }', {}, t.auth(created.key))).errors).toBeTruthy();
    await gql(`mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }`, {
      input: { id: created.id },
    });
    expect((await gql('{ viewer { clientIp } }', {}, t.auth(rotatedKey))).errors).toBeTruthy();
    // A malformed key, and a key in the query string (refused).
    const bogus = `rdev_${randomBytes(24).toString('hex')}`;
    secrets.push(bogus);
    await gql('{ viewer { clientIp } }', {}, { authorization: `Bearer ${bogus}` });
    const inQuery = await fetch(
      `${t.url}/graphql?query=${encodeURIComponent('{viewer{clientIp}}')}&api_key=${t.adminKey}`,
    );
    expect(inQuery.status).toBeGreaterThanOrEqual(400);
    // A bearer token that is not an rdev key at all.
    const foreignToken = `ey${randomBytes(30).toString('base64url')}`;
    secrets.push(foreignToken);
    await gql('{ viewer { clientIp } }', {}, { authorization: `Bearer ${foreignToken}` });

    // Webhooks: created, rotated, and a failing delivery (logged) signed with both secrets.
    const webhook = await gql(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
        __typename ... on CreateWebhookPayload { secret webhook { id } } ... on Error { code message } } }`,
      { input: { url: `${receiver.origin}/hook`, events: ['COMMAND_QUEUED', 'COMMAND_FAILED'] } },
    );
    expect(webhook.data.createWebhook.__typename).toBe('CreateWebhookPayload');
    secrets.push(webhook.data.createWebhook.secret);
    const rotatedHook = await gql(
      `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) {
        ... on RotateWebhookSecretPayload { secret } } }`,
      { input: { id: webhook.data.createWebhook.webhook.id } },
    );
    secrets.push(rotatedHook.data.rotateWebhookSecret.secret);

    // Commands with secrets in their environment: through variables, inline in the document,
    // one refused by validation, and one that fails when it runs.
    const envSecret = `pw-${randomBytes(12).toString('hex')}`;
    const inlineSecret = `tok-${randomBytes(12).toString('hex')}`;
    const refusedSecret = `bad-${randomBytes(12).toString('hex')}`;
    secrets.push(envSecret, inlineSecret, refusedSecret);
    const run = await gql(
      `mutation($input: RunShellInput!) { runShell(input: $input) {
        __typename ... on RunCommandPayload { command { id } } ... on Error { code message } } }`,
      {
        input: {
          projectName: 'demo',
          script: 'echo "$DB_PASSWORD" >&2; exit 3',
          env: { DB_PASSWORD: envSecret },
        },
      },
    );
    expect(run.data.runShell.__typename).toBe('RunCommandPayload');
    const inline = await gql(
      `mutation { runShell(input: { projectName: "demo", argv: ["true"], cwd: "missing", env: { API_TOKEN: "${inlineSecret}" } }) {
        __typename ... on RunCommandPayload { command { id } } } }`,
    );
    expect(inline.data.runShell.__typename).toBe('RunCommandPayload');
    const refused = await gql(
      `mutation($input: RunShellInput!) { runShell(input: $input) { __typename ... on Error { code } } }`,
      { input: { projectName: 'demo', argv: ['true'], env: { TOKEN: `${refusedSecret}\nsecond line` } } },
    );
    expect(refused.data.runShell).toMatchObject({ code: 'VALIDATION_FAILED' });

    // Wait for the failing command's end and the webhook attempts to be logged.
    const deadline = Date.now() + 15_000;
    while (!lines().some((l) => l.msg === 'webhook attempt failed') || receiver.received.length < 2) {
      if (Date.now() > deadline) throw new Error('the webhook attempts were not logged in time');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Both commands fail, each for its own reason: the script's exit code, and a working
    // directory that does not exist (the command never starts, and says why).
    const ended = async (id: string) => {
      let command: { status: string; exitCode: number | null; error: string | null } | undefined;
      await until(
        async () => {
          command = (await gql(`query($id: ID!) { command(id: $id) { status exitCode error } }`, { id })).data
            .command;
          return command?.status === 'FAILED';
        },
        15_000,
        `command ${id} to fail`,
      );
      return command;
    };
    expect(await ended(run.data.runShell.command.id)).toEqual({
      status: 'FAILED',
      exitCode: 3,
      error: 'exit code 3',
    });
    expect(await ended(inline.data.runShell.command.id)).toMatchObject({
      status: 'FAILED',
      error: 'the working directory does not exist',
    });

    const all = t.logs.join('');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(all.includes(secret), `a secret (${secret.slice(0, 7)}…) reached the logs`).toBe(false);
    }
    // The logs saw the work: an access line for every request above, and the webhook failures.
    const access = lines().filter((l) => l.msg === 'request completed');
    expect(access.length).toBeGreaterThanOrEqual(14);
    expect(access.every((l) => l.path === '/graphql' && typeof l.requestId === 'string')).toBe(true);
  });

  it('put the request id and trace id on every line of a request', async () => {
    const traceId = randomBytes(16).toString('hex');
    const requestId = `req-${randomBytes(6).toString('hex')}`;
    await gql(
      'query Mine { viewer { clientIp } }',
      {},
      {
        ...t.auth(),
        'x-request-id': requestId,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    );
    // A refused request is logged with its ids too.
    const refusedId = `req-${randomBytes(6).toString('hex')}`;
    await gql('{ viewer { clientIp } }', {}, { authorization: 'Bearer rdev_x', 'x-request-id': refusedId });

    const mine = lines().filter((l) => l.requestId === requestId);
    // yoga's own debug lines and the access line.
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.some((l) => l.msg === 'request completed')).toBe(true);
    for (const line of mine) {
      expect(line.trace_id).toBe(traceId);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
    const refused = lines().filter((l) => l.requestId === refusedId);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((l) => typeof l.trace_id === 'string' && l.trace_id !== traceId)).toBe(true);
    expect(refused.find((l) => l.msg === 'request completed')).toMatchObject({ status: 401 });
  });
});
