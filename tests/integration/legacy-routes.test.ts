import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type CommandTestApp, plainId, startCommandApp } from '../support/command-test-app.js';
import { openCommandStream } from '../support/sse-client.js';

const KEEPALIVE_MS = 1000;

/** The `/api/v1` routes, and slow stream consumers on every transport (local runtime). */
describe('legacy REST and SSE routes', () => {
  let t: CommandTestApp;

  const api = async (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.key !== null) headers.authorization = `Bearer ${options.key ?? t.adminKey}`;
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  const sseStreams = async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    return Number(/rdev_active_subscriptions\{transport="(?:legacy-)?sse"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const waitUntil = async (check: () => Promise<boolean>, what: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const waitForEnd = async (id: string) => {
    let command: any;
    await waitUntil(async () => {
      command = (await api('GET', `/api/v1/commands/${id}`)).body;
      return !['QUEUED', 'RUNNING'].includes(command.status);
    }, `command ${id}`);
    return command;
  };

  // 30 MB of stored output: more than the socket buffers of a loopback connection hold.
  let big: Promise<string> | null = null;
  const bigOutput = () => {
    big ??= (async () => {
      const command = await t.runShell({
        script: 'yes "a line of output to fill the buffers" | head -c 30000000',
      });
      // Storing 30 MB of output takes a while on a busy machine: wait for the end, not a deadline.
      expect((await t.waitForEnd(command.id, 90_000)).status).toBe('SUCCEEDED');
      return command.id;
    })();
    return big;
  };

  beforeAll(async () => {
    t = await startCommandApp(
      'local',
      {
        RDEV_STREAM_KEEPALIVE_MS: String(KEEPALIVE_MS),
        RDEV_MAX_BODY_BYTES: '65536',
        RDEV_WS_MAX_BUFFERED_BYTES: '65536',
      },
      { extraProjects: { locked: 'allowed_commands: [GIT]' } },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts shell and claude commands with 202 and shows them as JSON', async () => {
    const shell = await api('POST', '/api/v1/projects/demo/shell', {
      body: { argv: ['echo', 'hi'], priority: 70 },
    });
    expect(shell.status).toBe(202);
    expect(shell.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      globalId: Buffer.from(`Command:${shell.body.id}`).toString('base64'),
      status: 'QUEUED',
      streamUrl: `/api/v1/commands/${shell.body.id}/stream`,
    });
    expect(shell.headers.get('location')).toBe(`/api/v1/commands/${shell.body.id}`);
    expect(await waitForEnd(shell.body.id)).toMatchObject({
      id: shell.body.id,
      projectName: 'demo',
      type: 'SHELL',
      status: 'SUCCEEDED',
      priority: 70,
      argv: ['echo', 'hi'],
      exitCode: 0,
      signal: null,
      createdAt: expect.any(String),
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      lastSeq: 2,
    });

    const script = await api('POST', '/api/v1/projects/demo/shell', { body: { script: 'echo $((6 * 7))' } });
    expect(script.status).toBe(202);
    const stream = openCommandStream(t.url, script.body.id, t.adminKey);
    await stream.ended;
    expect(stream.events.map((e) => [e.type, e.data.data])).toEqual([
      ['output', '42\n'],
      ['end', 'command succeeded (exit code 0)\n'],
    ]);

    const claude = await api('POST', '/api/v1/projects/demo/claude', { body: { prompt: 'Say hello' } });
    expect(claude.status).toBe(202);
    const done = await waitForEnd(claude.body.id);
    expect(done).toMatchObject({ type: 'CLAUDE', status: 'SUCCEEDED', prompt: 'Say hello' });
    expect(done.claudeSession).toMatchObject({ costUsd: 0.0123, numTurns: 2 });
  });

  it('answers errors as JSON with the matching status', async () => {
    const code = (r: { body: any }) => r.body?.error?.code;
    const anonymous = await api('POST', '/api/v1/projects/demo/shell', {
      body: { argv: ['true'] },
      key: null,
    });
    expect([anonymous.status, code(anonymous)]).toEqual([401, 'UNAUTHENTICATED']);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const badKey = await api('GET', '/api/v1/commands/00000000-0000-4000-8000-000000000000', {
      key: 'rdev_nope',
    });
    expect([badKey.status, code(badKey)]).toEqual([401, 'UNAUTHENTICATED']);

    const reader = await t.createKey({ scopes: ['COMMANDS_READ'] });
    const noScope = await api('POST', '/api/v1/projects/demo/shell', {
      body: { argv: ['true'] },
      key: reader.key,
    });
    expect([noScope.status, code(noScope)]).toEqual([403, 'FORBIDDEN']);
    const policy = await api('POST', '/api/v1/projects/locked/shell', { body: { argv: ['true'] } });
    expect([policy.status, code(policy)]).toEqual([403, 'COMMAND_NOT_ALLOWED']);
    expect(policy.body.error.message).toContain('allowed_commands');

    const missingProject = await api('POST', '/api/v1/projects/nowhere/claude', { body: { prompt: 'x' } });
    expect([missingProject.status, code(missingProject)]).toEqual([404, 'NOT_FOUND']);
    for (const path of [
      '/api/v1/commands/not-a-uuid',
      '/api/v1/commands/00000000-0000-4000-8000-000000000000/stream',
    ]) {
      const missing = await api('GET', path);
      expect([missing.status, code(missing)], path).toEqual([404, 'NOT_FOUND']);
    }
    const granted = await t.createKey({ scopes: ['COMMANDS_READ'], projectNames: ['locked'] });
    const mine = await api('POST', '/api/v1/projects/demo/shell', { body: { argv: ['true'] } });
    const hidden = await api('GET', `/api/v1/commands/${mine.body.id}/stream`, { key: granted.key });
    expect([hidden.status, code(hidden)]).toEqual([404, 'NOT_FOUND']);

    const first = await api('POST', '/api/v1/projects/demo/shell', {
      body: { argv: ['true'] },
      headers: { 'idempotency-key': 'legacy-1' },
    });
    const retry = await api('POST', '/api/v1/projects/demo/shell', {
      body: { argv: ['true'] },
      headers: { 'idempotency-key': 'legacy-1' },
    });
    expect([retry.status, retry.body.id]).toEqual([202, first.body.id]);
    const conflict = await api('POST', '/api/v1/projects/demo/shell', {
      body: { argv: ['false'] },
      headers: { 'idempotency-key': 'legacy-1' },
    });
    expect([conflict.status, code(conflict)]).toEqual([409, 'CONFLICT']);

    const tooLarge = await api('POST', '/api/v1/projects/demo/claude', {
      body: { prompt: 'x'.repeat(70_000) },
    });
    expect([tooLarge.status, code(tooLarge)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    for (const [raw, path] of [
      ['{not json', ''],
      ['[1, 2]', ''],
      [JSON.stringify({ argv: ['true'], sript: 'typo' }), 'sript'],
      [JSON.stringify({ argv: ['true'], script: 'true' }), 'script'],
      [JSON.stringify({ argv: 'true' }), 'argv'],
      [JSON.stringify({ argv: ['true'], priority: 101 }), 'priority'],
    ]) {
      const bad = await api('POST', '/api/v1/projects/demo/shell', { raw });
      expect([bad.status, code(bad)], raw).toEqual([422, 'VALIDATION_FAILED']);
      expect(bad.body.error.issues[0].path, raw).toBe(path);
    }
    const badCursor = await api('GET', `/api/v1/commands/${mine.body.id}/stream`, {
      headers: { 'last-event-id': 'abc' },
    });
    expect([badCursor.status, code(badCursor)]).toEqual([422, 'VALIDATION_FAILED']);
    const wrongMethod = await api('DELETE', `/api/v1/commands/${mine.body.id}`);
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET']);

    const limited = await t.createKey({ scopes: ['COMMANDS_READ'], rateLimit: 2 } as never);
    for (let i = 0; i < 2; i++) {
      expect((await api('GET', `/api/v1/commands/${mine.body.id}`, { key: limited.key })).status).toBe(200);
    }
    const refused = await api('GET', `/api/v1/commands/${mine.body.id}`, { key: limited.key });
    expect([refused.status, code(refused)]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('writes an SSE stream only as fast as the client reads, and drops a client that stopped', async () => {
    const id = plainId(await bigOutput());
    // A client that reads the headers, then nothing more.
    const req = request(`${t.url}/api/v1/commands/${id}/stream`, { headers: t.auth() });
    const response = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.end();
    });
    expect(response.statusCode).toBe(200);
    response.pause();
    await waitUntil(async () => (await sseStreams()) === 1, 'the stream to open');
    // The server waits for the socket to drain instead of queueing 30 MB, and gives up on a
    // client that takes nothing for a while (4 keep-alive intervals).
    await waitUntil(
      async () => (await sseStreams()) === 0,
      'the stalled stream to be dropped',
      4 * KEEPALIVE_MS + 5_000,
    );
    // Dropped, not finished: what reaches the client is what the socket buffers held, no end.
    let received = 0;
    let tail = '';
    await new Promise<void>((resolve) => {
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        tail = (tail + chunk.toString('latin1')).slice(-200);
      });
      response.on('close', resolve);
      response.on('error', () => resolve());
      response.resume();
    });
    expect(received).toBeLessThan(20_000_000);
    expect(tail).not.toContain('event: end');
    req.destroy();
    expect(t.logs.join('')).not.toContain('SSE stream failed');
  });

  it('closes a graphql-ws connection whose subscriptions back up past the send buffer limit', async () => {
    const command = { id: await bigOutput() };
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${t.adminKey}` } }));
    await new Promise((resolve) => ws.once('message', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    for (let i = 0; i < 8; i++) {
      ws.send(
        JSON.stringify({
          id: `s${i}`,
          type: 'subscribe',
          payload: {
            query: 'subscription($id: ID!) { commandOutput(commandId: $id) { seq data } }',
            variables: { id: command.id },
          },
        }),
      );
    }
    // Stop reading: the kernel buffers fill, then the server's own send buffer.
    (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    await waitUntil(
      async () => t.logs.join('').includes('reads too slowly'),
      'the slow consumer to be noticed',
    );
    (ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    expect([1006, 1008]).toContain(await closed);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/rdev_active_subscriptions\{transport="graphql-ws"\} 0/);
  });

  it("ends a revoked key's open streams, and the client's reconnect is refused", async () => {
    const { key, id } = await t.createKey({ scopes: ['COMMANDS_READ'] });
    const command = await t.runShell({ script: 'echo started; sleep 30' });
    const stream = openCommandStream(t.url, plainId(command.id), key);
    await waitUntil(async () => stream.events.length > 0, 'the first output');
    const open = await sseStreams();
    expect(open).toBeGreaterThan(0);
    await t.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }', { id });
    // What the credential sweeper runs every RDEV_AUTH_RECHECK_MS.
    await t.app.sweepCredentials();
    await waitUntil(async () => stream.statuses.includes(401), 'the reconnect to be refused');
    expect(await sseStreams()).toBe(open - 1);
    expect(stream.statuses).toEqual([200, 401]);
    expect(stream.events.map((e) => e.type)).not.toContain('end');
    stream.source.close();
    await t.gql('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', {
      id: command.id,
    });
  });

  it("ends an expired key's open streams, and the client's reconnect is refused", async () => {
    const expiresAt = Date.now() + 2_000;
    const { key } = await t.createKey({
      scopes: ['COMMANDS_READ'],
      expiresAt: new Date(expiresAt).toISOString(),
    });
    const command = await t.runShell({ script: 'echo started; sleep 30' });
    const stream = openCommandStream(t.url, plainId(command.id), key);
    await waitUntil(async () => stream.events.length > 0, 'the first output');
    const open = await sseStreams();
    await waitUntil(async () => Date.now() > expiresAt, 'the key to expire');
    // What the credential sweeper runs every RDEV_AUTH_RECHECK_MS.
    await t.app.sweepCredentials();
    await waitUntil(async () => stream.statuses.includes(401), 'the reconnect to be refused');
    expect(await sseStreams()).toBe(open - 1);
    expect(stream.statuses).toEqual([200, 401]);
    expect(stream.events.map((e) => e.type)).not.toContain('end');
    stream.source.close();
    await t.gql('mutation($id: ID!) { cancelCommand(input: { id: $id }) { __typename } }', {
      id: command.id,
    });
  });

  it('ends open SSE streams at shutdown so that clients resume elsewhere', async () => {
    const command = await t.runShell({ script: 'echo started; sleep 30' });
    const res = await fetch(`${t.url}/api/v1/commands/${plainId(command.id)}/stream`, { headers: t.auth() });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('started')) text += new TextDecoder().decode((await reader.read()).value);
    expect(await sseStreams()).toBe(1);
    const stopped = t.app.stop();
    const started = Date.now();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(text).not.toContain('event: end');
    await stopped;
  });
});
