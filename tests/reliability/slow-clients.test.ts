import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { collectOutput, plainId } from '../support/command-test-app.js';
import { type RdevProcess, startRdev } from '../support/rdev-process.js';
import { openCommandStream } from '../support/sse-client.js';

const HEADERS_MS = 1_000;
const REQUEST_MS = 2_500;
const BODY_IDLE_MS = 1_000;
// Node checks the headers and request limits every tenth of the shorter one; the rest is room
// for a machine busy with other work.
const SLACK_MS = 1_500;

interface RawExchange {
  socket: Socket;
  /** Resolves when the server closes the connection: what it answered and after how long. */
  closed: Promise<{ answer: string; afterMs: number }>;
}

/** A raw TCP client, so the test decides how slowly each byte goes out. */
function rawClient(url: string): RawExchange {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  const started = Date.now();
  let answer = '';
  socket.on('data', (d) => {
    answer += d;
  });
  const closed = new Promise<{ answer: string; afterMs: number }>((resolve) => {
    socket.on('close', () => resolve({ answer, afterMs: Date.now() - started }));
    socket.on('error', () => {});
  });
  return { socket, closed };
}

function postHead(length: number): string {
  return `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
}

/** Sends one byte of `text` every `everyMs` until the connection closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text[at++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/**
 * `rdev serve` as its own process: under vitest (NODE_ENV=test) Yoga pings GraphQL-over-SSE
 * streams every 300 ms, so only a process of its own has streams as quiet as in production.
 */
describe('slow clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-slow-'));
  const workspace = join(dir, 'workspaces', 'demo');
  const adminKey = generateKeyText();
  const auth = { authorization: `Bearer ${adminKey}` };
  let api: RdevProcess;
  beforeAll(async () => {
    mkdirSync(workspace, { recursive: true });
    api = await startRdev({
      DATABASE_URL: 'memory://',
      RDEV_WORKSPACES_DIR: join(dir, 'workspaces'),
      RDEV_BOOTSTRAP_ADMIN_KEY: adminKey,
      RDEV_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      RDEV_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      RDEV_HTTP_BODY_IDLE_TIMEOUT_MS: String(BODY_IDLE_MS),
    });
  }, 120_000);
  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('cut off a body trickled a byte at a time at the whole-request limit, with 408', async () => {
    const body = JSON.stringify({ query: `{ serverInfo { version } }${' '.repeat(200)}` });
    const client = rawClient(api.url);
    client.socket.write(postHead(Buffer.byteLength(body)));
    // Each byte comes well within the idle limit, so only the whole-request limit applies.
    trickle(client.socket, body, 100);
    const { answer, afterMs } = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    expect(afterMs).toBeLessThan(REQUEST_MS + SLACK_MS);
  });

  it('cut off a body that stops halfway after the idle limit, long before the request limit', async () => {
    const body = JSON.stringify({ query: '{ serverInfo { version } }' });
    const client = rawClient(api.url);
    client.socket.write(postHead(Buffer.byteLength(body)) + body.slice(0, 10));
    const { answer, afterMs } = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeGreaterThanOrEqual(BODY_IDLE_MS - 100);
    expect(afterMs).toBeLessThan(REQUEST_MS);
  });

  it('cut off headers trickled a byte at a time at the headers limit', async () => {
    const client = rawClient(api.url);
    trickle(client.socket, postHead(2).repeat(5), 50);
    const { answer, afterMs } = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeLessThan(HEADERS_MS + SLACK_MS);
  });

  it('leave quiet streams open past every limit: GraphQL over SSE, legacy SSE and graphql-ws', async () => {
    const run = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        query: `mutation($input: RunShellInput!) { runShell(input: $input) {
          ... on RunCommandPayload { command { id } } } }`,
        variables: {
          input: {
            projectName: 'demo',
            script: 'while [ ! -f go ]; do sleep 0.05; done; echo after the quiet',
          },
        },
      }),
    });
    const command = ((await run.json()) as any).data.runShell.command as { id: string };
    const subscription = JSON.stringify({
      query: 'subscription($id: ID!) { commandOutput(commandId: $id) { stream data end { status } } }',
      variables: { id: command.id },
    });
    // A POST with a body: the one stream the body idle limit is armed for.
    const sse = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...auth },
      body: subscription,
    });
    expect(sse.status).toBe(200);
    const sseText = new Response(sse.body).text();
    const legacy = openCommandStream(api.url, plainId(command.id), adminKey, { closeOnEnd: true });
    const wsClient = createClient({
      url: `${api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: auth,
      retryAttempts: 0,
    });
    const ws = collectOutput(wsClient, command.id);

    // Nothing is sent on any of them for longer than every limit (keep-alives come every 12 s).
    await new Promise((r) => setTimeout(r, REQUEST_MS + SLACK_MS));
    writeFileSync(join(workspace, 'go'), '');

    expect(await sseText).toContain('after the quiet');
    await legacy.ended;
    expect(legacy.statuses).toEqual([200]);
    expect(legacy.events.some((e) => e.type === 'output' && e.data.data === 'after the quiet\n')).toBe(true);
    expect((await ws).map((e) => e.data).join('')).toContain('after the quiet');
    await wsClient.dispose();
  });
});
