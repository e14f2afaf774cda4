import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { until } from '../support/wait.js';

/**
 * A key narrowed while its streams are open. Every transport registers its streams in one
 * registry; changing a key announces it on the event bus (with PostgreSQL, LISTEN/NOTIFY, as
 * between replicas), and that key's streams are checked at once. The periodic pass is set as long
 * as it goes (30 s), so a stream that ends within the cache TTL was ended by the announcement.
 */
const CACHE_TTL_MS = 10_000;
const RUN_AND_READ = ['PROJECTS_READ', 'COMMANDS_READ', 'COMMANDS_RUN_SHELL'];
const OUTPUT = 'subscription($id: ID!) { commandOutput(commandId: $id) { seq data } }';
const UPDATE = `mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { __typename ... on Error { code message } } }`;

describe.each(DATABASE_KINDS)('a key narrowed while its streams are open, on %s', (kind) => {
  let t: CommandTestApp;
  /** A command on project B (`demo`) that prints a line and keeps running. */
  let onB: string;

  beforeAll(async () => {
    t = await startCommandApp(
      'local',
      { RDEV_AUTH_CACHE_TTL_MS: String(CACHE_TTL_MS), RDEV_AUTH_RECHECK_MS: '30000' },
      { extraProjects: { alpha: '' }, database: kind },
    );
    onB = (await t.runShell({ script: 'echo started; sleep 120' })).id;
  });
  afterAll(async () => {
    await t?.gql('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', { id: onB });
    await t?.close();
  });

  const update = async (id: string, patch: Record<string, unknown>) => {
    const data = await t.gql(UPDATE, { input: { id, ...patch } });
    expect(data.updateApiKey.__typename).toBe('UpdateApiKeyPayload');
  };
  const narrowToA = (id: string) =>
    update(id, { projectNames: ['alpha'], scopes: ['PROJECTS_READ', 'COMMANDS_READ'] });
  const excludeClient = (id: string) => update(id, { allowedIps: ['10.0.0.0/8'] });

  /** A graphql-ws client with `key`, with the close code it saw. */
  const wsWith = (key: string) => {
    let closed: number | undefined;
    const client: Client = createWsClient({
      url: `${t.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
      // The 4403 close is what one test waits for, not something to print.
      onNonLazyError: () => {},
      on: { closed: (event) => (closed = (event as { code: number }).code) },
    });
    const once = async (query: string, variables: Record<string, unknown> = {}) => {
      for await (const result of client.iterate({ query, variables })) return result as any;
      throw new Error('no result');
    };
    return { client, once, closeCode: () => closed };
  };

  /** Subscribes to B's output over graphql-ws; resolves once the first line arrived. */
  const followOverWs = async (ws: ReturnType<typeof wsWith>) => {
    const results: any[] = [];
    let completed = false;
    ws.client.subscribe(
      { query: OUTPUT, variables: { id: onB } },
      {
        next: (r) => results.push(r),
        error: (e) => results.push({ error: e }),
        complete: () => {
          completed = true;
        },
      },
    );
    await until(() => results.some((r) => r.data), 20_000, 'the first line over graphql-ws');
    return { results, completed: () => completed };
  };

  it('graphql-ws: the stream on B ends FORBIDDEN, and the open connection acts with the new powers', async () => {
    const { key, id } = await t.createKey({ scopes: RUN_AND_READ });
    const ws = wsWith(key);
    const stream = await followOverWs(ws);
    const changed = Date.now();
    await narrowToA(id);
    await until(() => stream.completed(), CACHE_TTL_MS, 'the subscription to end');
    expect(Date.now() - changed).toBeLessThan(CACHE_TTL_MS);
    expect(stream.results.at(-1).errors[0].extensions.code).toBe('FORBIDDEN');
    // The connection itself stays open, and its next operations act with the key as it is now.
    expect(ws.closeCode()).toBeUndefined();
    const run = await ws.once(
      `mutation { runShell(input: { projectName: "demo", argv: ["true"] }) { __typename ... on Error { code } } }`,
    );
    expect(run.errors?.[0]?.extensions?.code ?? run.data?.runShell?.code).toBe('FORBIDDEN');
    const viewer = await ws.once('{ viewer { scopes projectNames } }');
    expect(viewer.data.viewer).toEqual({
      scopes: ['PROJECTS_READ', 'COMMANDS_READ'],
      projectNames: ['alpha'],
    });
    expect(ws.closeCode()).toBeUndefined();
    await ws.client.dispose();
  });

  it('graphql-ws: an allow-list that excludes the client closes the connection with 4403', async () => {
    const { key, id } = await t.createKey({ scopes: RUN_AND_READ });
    const ws = wsWith(key);
    await followOverWs(ws);
    const changed = Date.now();
    await excludeClient(id);
    await until(() => ws.closeCode() !== undefined, CACHE_TTL_MS, 'the connection to close');
    expect(Date.now() - changed).toBeLessThan(CACHE_TTL_MS);
    expect(ws.closeCode()).toBe(4403);
    await ws.client.dispose();
  });

  /** Follows B's output over GraphQL over SSE; returns every result and whether it ended. */
  const followOverSse = async (key: string) => {
    const client = createSseClient({
      url: `${t.url}/graphql`,
      singleConnection: false,
      headers: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
    const results: any[] = [];
    let completed = false;
    client.subscribe(
      { query: OUTPUT, variables: { id: onB } },
      {
        next: (r) => results.push(r),
        error: (e) => results.push({ error: e }),
        complete: () => {
          completed = true;
        },
      },
    );
    await until(() => results.some((r) => r.data), 20_000, 'the first line over GraphQL over SSE');
    return { client, results, completed: () => completed };
  };

  for (const [change, narrow, code] of [
    ['scopes and projects narrowed', narrowToA, 'FORBIDDEN'],
    ['an allow-list that excludes the client', excludeClient, 'UNAUTHENTICATED'],
  ] as const) {
    it(`GraphQL over SSE: ${change} ends the stream with ${code}`, async () => {
      const { key, id } = await t.createKey({ scopes: RUN_AND_READ });
      const stream = await followOverSse(key);
      const changed = Date.now();
      await narrow(id);
      await until(() => stream.completed(), CACHE_TTL_MS, 'the stream to end');
      expect(Date.now() - changed).toBeLessThan(CACHE_TTL_MS);
      expect(stream.results.at(-1).errors[0].extensions.code).toBe(code);
      stream.client.dispose();
    });

    it(`legacy SSE: ${change} ends the stream with an error event (${code})`, async () => {
      const { key, id } = await t.createKey({ scopes: RUN_AND_READ });
      const res = await fetch(`${t.url}/api/v1/commands/${plainId(onB)}/stream`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('started')) text += new TextDecoder().decode((await reader.read()).value);
      const changed = Date.now();
      await narrow(id);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(Date.now() - changed).toBeLessThan(CACHE_TTL_MS);
      const error = /event: error\ndata: (.*)\n/.exec(text);
      expect(error).not.toBeNull();
      expect(JSON.parse(error![1]!)).toMatchObject({ error: { code } });
      expect(text).not.toContain('event: end');
    });
  }
});
