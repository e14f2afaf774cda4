import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';

/**
 * Webhooks, audit rows, the legacy routes and `rdev keys list` show plain UUIDs; GraphQL shows
 * global ids. Every place that takes an id takes both, and a plain UUID only for its own type.
 */
describe('plain UUIDs and global ids', () => {
  let t: CommandTestApp;

  beforeAll(async () => {
    t = await startCommandApp('local', { RDEV_WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finds a command by its plain UUID in GraphQL, and by its global id in the legacy routes', async () => {
    const started = await t.runShell({ argv: ['echo', 'hello'] });
    const { command } = await t.gql('query($id: ID!) { command(id: $id) { id uuid } }', {
      id: started.id,
    });
    const uuid = plainId(started.id);
    expect(command).toEqual({ id: started.id, uuid });

    // Any case: a UUID copied from a log may be upper case.
    const byUuid = await t.gql('query($id: ID!) { command(id: $id) { id uuid } }', {
      id: uuid.toUpperCase(),
    });
    expect(byUuid.command).toEqual({ id: started.id, uuid });
    await t.waitForEnd(uuid);

    const cancelled = await t.gql(
      `mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename
        ... on CancelCommandPayload { command { id status } } ... on Error { code message } } }`,
      { id: uuid },
    );
    expect(cancelled.cancelCommand).toMatchObject({ command: { id: started.id, status: 'SUCCEEDED' } });

    const rest = await fetch(`${t.url}/api/v1/commands/${encodeURIComponent(started.id)}`, {
      headers: t.auth(),
    });
    expect(rest.status).toBe(200);
    expect(await rest.json()).toMatchObject({ id: uuid, globalId: started.id, status: 'SUCCEEDED' });
    const stream = await fetch(`${t.url}/api/v1/commands/${encodeURIComponent(started.id)}/stream`, {
      headers: { ...t.auth(), 'last-event-id': '1000' },
    });
    // Everything was delivered already: the stream of that command answers 204, not 404.
    expect(stream.status).toBe(204);

    const wrongType = Buffer.from(`ApiKey:${uuid}`).toString('base64');
    const notACommand = await fetch(`${t.url}/api/v1/commands/${encodeURIComponent(wrongType)}`, {
      headers: t.auth(),
    });
    expect(notACommand.status).toBe(404);
    expect((await notACommand.json()).error.message).toContain('the id of an API key, and a command id');
  });

  it('follows output by a plain UUID', async () => {
    const started = await t.runShell({ argv: ['echo', 'out'] });
    const events: string[] = [];
    await new Promise<void>((resolve, reject) => {
      t.wsClient().subscribe<{ commandOutput: { data: string } }>(
        {
          query: 'subscription($id: ID!) { commandOutput(commandId: $id) { data } }',
          variables: { id: plainId(started.id) },
        },
        {
          next: (r) =>
            r.errors ? reject(new Error(JSON.stringify(r.errors))) : events.push(r.data!.commandOutput.data),
          error: reject,
          complete: resolve,
        },
      );
    });
    expect(events.join('')).toContain('out\n');
  });

  it('takes API key ids in both forms, and refuses a UUID of another type with what was expected', async () => {
    const created = await t.gql(
      `mutation { createApiKey(input: { name: "ids", scopes: [PROJECTS_READ] }) {
        ... on CreateApiKeyPayload { apiKey { id uuid } } } }`,
    );
    const { id, uuid } = created.createApiKey.apiKey;
    expect(Buffer.from(id, 'base64').toString()).toBe(`ApiKey:${uuid}`);

    const updated = await t.gql(
      `mutation($id: ID!) { updateApiKey(input: { id: $id, name: "renamed" }) {
        __typename ... on UpdateApiKeyPayload { apiKey { id name } } ... on Error { code message } } }`,
      { id: uuid },
    );
    expect(updated.updateApiKey).toEqual({
      __typename: 'UpdateApiKeyPayload',
      apiKey: { id, name: 'renamed' },
    });

    // A command's UUID where a key's is expected names no key, and the answer does not pretend otherwise.
    const command = await t.runShell({ argv: ['true'] });
    const REVOKE = `mutation($id: ID!) { revokeApiKey(input: { id: $id }) {
      __typename ... on RevokeApiKeyPayload { apiKey { id revokedAt } } ... on Error { code message } } }`;
    const wrongUuid = await t.gql(REVOKE, { id: plainId(command.id) });
    expect(wrongUuid.revokeApiKey).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(wrongUuid.revokeApiKey.message).toContain('ApiKey');
    const wrongGlobal = await t.gql(REVOKE, { id: command.id });
    expect(wrongGlobal.revokeApiKey.message).toContain('the id of a command, and an API key id is expected');
    const garbage = await t.gql(REVOKE, { id: 'not-an-id' });
    expect(garbage.revokeApiKey.message).toContain('expected an API key global id or its plain UUID');

    const revoked = await t.gql(REVOKE, { id: uuid });
    expect(revoked.revokeApiKey.apiKey.id).toBe(id);

    const { viewer } = await t.gql('{ viewer { apiKey { uuid } } }');
    const audit = await t.gql(
      `query($key: ID!) { auditEvents(filter: { apiKeyId: $key, action: "api_key.revoke" }) {
        edges { node { targetId } } } }`,
      { key: viewer.apiKey.uuid },
    );
    expect(audit.auditEvents.edges.map((e: any) => e.node.targetId)).toContain(uuid);
  });

  it('takes webhook ids in both forms and shows the plain one', async () => {
    const created = await t.gql(
      `mutation { createWebhook(input: { url: "http://127.0.0.1:9/hook", events: [COMMAND_SUCCEEDED] }) {
        __typename ... on CreateWebhookPayload { webhook { id uuid } } ... on Error { code message } } }`,
    );
    const { id, uuid } = created.createWebhook.webhook;
    expect(Buffer.from(id, 'base64').toString()).toBe(`Webhook:${uuid}`);
    const pinged = await t.gql(
      `mutation($id: ID!) { pingWebhook(input: { id: $id }) {
        __typename ... on PingWebhookPayload { delivery { id uuid payload } } ... on Error { code message } } }`,
      { id: uuid },
    );
    const { delivery } = pinged.pingWebhook;
    expect(Buffer.from(delivery.id, 'base64').toString()).toBe(`WebhookDelivery:${delivery.uuid}`);
    expect(delivery.payload.data).toEqual({ webhookId: uuid, webhookGlobalId: id });
    const deleted = await t.gql(
      `mutation($id: ID!) { deleteWebhook(input: { id: $id }) {
        __typename ... on DeleteWebhookPayload { deletedId } ... on Error { code message } } }`,
      { id: uuid.toUpperCase() },
    );
    expect(deleted.deleteWebhook).toEqual({ __typename: 'DeleteWebhookPayload', deletedId: id });
  });
});
