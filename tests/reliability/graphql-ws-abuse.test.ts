import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KEEPALIVE_MS = 400;
const PER_CONNECTION = 5;
const PER_KEY = 8;
const MAX_BUFFERED = 256 * 1024;

interface RawClient {
  ws: WebSocket;
  messages: { id?: string; type: string; payload?: any }[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** connection_init with the key, resolving with the server's answer (ack or close). */
  init(key: string | null): Promise<'ack' | number>;
  /** The messages of one operation once it sent next/error (and complete, when it ends). */
  answered(id: string, timeoutMs?: number): Promise<{ type: string; payload?: any }[]>;
}

/** A graphql-ws client written by hand, so it can break the protocol on purpose. */
async function rawClient(
  url: string,
  options: { protocol?: string | null; autoPong?: boolean } = {},
): Promise<RawClient> {
  const protocols = options.protocol === null ? [] : [options.protocol ?? 'graphql-transport-ws'];
  const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, protocols, {
    autoPong: options.autoPong ?? true,
  });
  const messages: RawClient['messages'] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  ws.on('error', () => {});
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const until = async <T>(check: () => T | undefined, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`no answer; messages so far: ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const client: RawClient = {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async init(key) {
      client.send({
        type: 'connection_init',
        payload: key === null ? {} : { authorization: `Bearer ${key}` },
      });
      return Promise.race([
        until(
          () => (messages.some((m) => m.type === 'connection_ack') ? ('ack' as const) : undefined),
          10_000,
        ),
        closed.then((c) => c.code),
      ]);
    },
    answered: (id, timeoutMs = 10_000) =>
      until(() => {
        const mine = messages.filter((m) => m.id === id);
        return mine.some((m) => m.type === 'next' || m.type === 'error') ? mine : undefined;
      }, timeoutMs),
  };
  return client;
}

const HEARTBEAT = 'subscription { heartbeat(intervalSeconds: 60) }';

describe('graphql-ws under abuse', () => {
  let t: CommandTestApp;
  const open: RawClient[] = [];
  const client = async (options?: Parameters<typeof rawClient>[1]) => {
    const c = await rawClient(t.url, options);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startCommandApp('local', {
      RDEV_STREAM_KEEPALIVE_MS: String(KEEPALIVE_MS),
      RDEV_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
      RDEV_MAX_SUBSCRIPTIONS_PER_KEY: String(PER_KEY),
      RDEV_WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
      RDEV_RATE_LIMIT_PER_KEY: '1000000',
    });
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await t?.close();
  });

  it('closes with each close code of the protocol', async () => {
    const cases: Record<string, () => Promise<number>> = {
      '4400 a message that is not JSON': async () => {
        const c = await client();
        expect(await c.init(t.adminKey)).toBe('ack');
        c.send('this is not { json');
        return (await c.closed).code;
      },
      '4400 a message of no known shape': async () => {
        const c = await client();
        expect(await c.init(t.adminKey)).toBe('ack');
        c.send({ type: 'subscribe', id: 7, payload: 'no' });
        return (await c.closed).code;
      },
      '4400 a message only a server may send, before the handshake': async () => {
        const c = await client();
        c.send({ type: 'connection_ack', payload: {} });
        return (await c.closed).code;
      },
      '4400 a message only a server may send, after it': async () => {
        const c = await client();
        expect(await c.init(t.adminKey)).toBe('ack');
        c.send({ id: 'n', type: 'next', payload: { data: null } });
        return (await c.closed).code;
      },
      '4401 subscribe before the connection is acknowledged': async () => {
        const c = await client();
        c.send({ id: '1', type: 'subscribe', payload: { query: HEARTBEAT } });
        return (await c.closed).code;
      },
      '4403 a key that is not valid': async () => {
        const c = await client();
        return (await c.init('rdev_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')) as number;
      },
      '4403 a key of the wrong type': async () => {
        const c = await client();
        c.send({ type: 'connection_init', payload: { authorization: { nested: ['Bearer x'] } } });
        return (await c.closed).code;
      },
      '4406 no subprotocol': async () => {
        const c = await client({ protocol: null });
        return (await c.closed).code;
      },
      '4408 no connection_init in time': async () => {
        const c = await client();
        return (await c.closed).code;
      },
      '4409 a second subscription with an id in use': async () => {
        const c = await client();
        expect(await c.init(t.adminKey)).toBe('ack');
        c.send({ id: 'same', type: 'subscribe', payload: { query: HEARTBEAT } });
        await c.answered('same');
        c.send({ id: 'same', type: 'subscribe', payload: { query: HEARTBEAT } });
        return (await c.closed).code;
      },
      '4429 a second connection_init': async () => {
        const c = await client();
        expect(await c.init(t.adminKey)).toBe('ack');
        c.send({ type: 'connection_init', payload: { authorization: `Bearer ${t.adminKey}` } });
        return (await c.closed).code;
      },
    };
    const names = Object.keys(cases);
    const codes = await Promise.all(
      names.map((name) =>
        Promise.race([cases[name]!(), new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]),
      ),
    );
    expect(Object.fromEntries(names.map((n, i) => [n, codes[i]]))).toEqual(
      Object.fromEntries(names.map((n) => [n, Number(n.slice(0, 4))])),
    );
    // Anonymous connections are allowed (public fields), but not a subscription needing a key.
    const anonymous = await client();
    expect(await anonymous.init(null)).toBe('ack');
    anonymous.send({
      id: 'a',
      type: 'subscribe',
      payload: { query: 'subscription { commandUpdated { id } }' },
    });
    expect(JSON.stringify(await anonymous.answered('a'))).toContain('UNAUTHENTICATED');
  });

  it('answers arbitrary frames (bytes, invalid UTF-8, JSON of any shape) with a protocol close, never an internal error', async () => {
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => ({ binary: true, data: Buffer.from(b) })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ binary: false, data: s })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => ({ binary: false, data: JSON.stringify(v) ?? 'null' })),
      fc
        .record({
          type: fc.constantFrom('subscribe', 'complete', 'ping', 'pong', 'next', 'error', 'connection_ack'),
          id: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
          payload: fc.jsonValue({ maxDepth: 3 }),
        })
        .map((m) => ({ binary: false, data: JSON.stringify(m) })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (frames, initFirst) => {
          const c = await rawClient(t.url);
          if (initFirst) expect(await c.init(t.adminKey)).toBe('ack');
          for (const f of frames) c.ws.send(f.data, { binary: f.binary });
          const closed = await Promise.race([
            c.closed,
            new Promise<null>((r) => setTimeout(() => r(null), 300)),
          ]);
          c.ws.terminate();
          // Still open (the frames were fine or pings), or closed by the protocol: never 4500 or 1011.
          if (closed) expect([4500, 1011]).not.toContain(closed.code);
        },
      ),
      { numRuns: 60 },
    );
    const healthy = await client();
    expect(await healthy.init(t.adminKey)).toBe('ack');
    healthy.ws.close();
  });

  it('refuses a message over the size limit with 1009', async () => {
    const c = await client();
    expect(await c.init(t.adminKey)).toBe('ack');
    c.send({
      id: 'big',
      type: 'subscribe',
      payload: { query: `{ serverInfo { version } } #${'x'.repeat(1_100_000)}` },
    });
    expect((await c.closed).code).toBe(1009);
  });

  it('answers an operation refused by a limit on its own, keeping the connection and its other subscriptions', async () => {
    const c = await client();
    expect(await c.init(t.adminKey)).toBe('ack');
    c.send({
      id: 'live',
      type: 'subscribe',
      payload: { query: 'subscription { heartbeat(intervalSeconds: 1) }' },
    });
    await c.answered('live');
    let deep = 'id';
    for (let i = 0; i < 14; i++) deep = `${['project', 'commands', 'edges', 'node'][i % 4]} { ${deep} }`;
    c.send({
      id: 'deep',
      type: 'subscribe',
      payload: { query: `subscription { commandUpdated { ${deep} } }` },
    });
    c.send({ id: 'tokens', type: 'subscribe', payload: { query: `{ ${'__typename '.repeat(2500)} }` } });
    c.send({
      id: 'cost',
      type: 'subscribe',
      payload: {
        query:
          '{ projects(first: 100) { edges { node { commands(first: 100) { edges { node { output(first: 100) { seq } } } } } } } }',
      },
    });
    for (const [id, pattern] of [
      ['deep', /depth limit/],
      ['tokens', /Token limit/],
      ['cost', /cost limit/i],
    ] as const) {
      const answer = await c.answered(id);
      expect(answer[0]).toMatchObject({ type: 'error' });
      expect(JSON.stringify(answer)).toMatch(pattern);
    }
    const before = c.messages.filter((m) => m.id === 'live').length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(c.messages.filter((m) => m.id === 'live').length).toBeGreaterThan(before);
    expect(t.logs.join('')).not.toContain('Internal error');
  });

  it('holds the per-connection cap against a burst, exactly, and keeps the connection', async () => {
    const c = await client();
    expect(await c.init(t.adminKey)).toBe('ack');
    for (let i = 0; i < 2 * PER_CONNECTION; i++)
      c.send({ id: `h${i}`, type: 'subscribe', payload: { query: HEARTBEAT } });
    const answers = await Promise.all(
      Array.from({ length: 2 * PER_CONNECTION }, (_, i) => c.answered(`h${i}`)),
    );
    const accepted = answers.filter((a) => a[0]?.type === 'next').length;
    expect(accepted).toBe(PER_CONNECTION);
    expect(answers.filter((a) => JSON.stringify(a).includes('RATE_LIMITED'))).toHaveLength(PER_CONNECTION);
    // One ends, one more fits.
    c.send({ id: 'h0', type: 'complete' });
    c.send({ id: 'h0', type: 'complete' });
    const firstAccepted = answers.findIndex((a) => a[0]?.type === 'next');
    c.send({ id: `h${firstAccepted}`, type: 'complete' });
    await new Promise((r) => setTimeout(r, 100));
    c.send({ id: 'again', type: 'subscribe', payload: { query: HEARTBEAT } });
    expect((await c.answered('again'))[0]?.type).toBe('next');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('holds the per-key cap against a burst spread over several connections', async () => {
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const clients = await Promise.all(Array.from({ length: 4 }, () => client()));
    for (const c of clients) expect(await c.init(key)).toBe('ack');
    for (const c of clients)
      for (let i = 0; i < 4; i++) c.send({ id: `k${i}`, type: 'subscribe', payload: { query: HEARTBEAT } });
    const answers = (
      await Promise.all(clients.map((c) => Promise.all([0, 1, 2, 3].map((i) => c.answered(`k${i}`)))))
    ).flat();
    expect(answers.filter((a) => a[0]?.type === 'next' && !a[0].payload?.errors)).toHaveLength(PER_KEY);
    expect(answers.filter((a) => JSON.stringify(a).includes('RATE_LIMITED'))).toHaveLength(16 - PER_KEY);
    // Closing connections gives the slots back.
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
    const fresh = await client();
    expect(await fresh.init(key)).toBe('ack');
    await new Promise((r) => setTimeout(r, 200));
    fresh.send({ id: 'x', type: 'subscribe', payload: { query: HEARTBEAT } });
    expect((await fresh.answered('x'))[0]).toMatchObject({ type: 'next', payload: { data: {} } });
    fresh.ws.close();
  });

  it('drops a client that stops answering pings, and keeps one that answers', async () => {
    const silent = await client({ autoPong: false });
    const polite = await client();
    expect(await silent.init(t.adminKey)).toBe('ack');
    expect(await polite.init(t.adminKey)).toBe('ack');
    let pings = 0;
    silent.ws.on('ping', () => pings++);
    // A ping every interval, and an interval to answer it: gone after about two.
    const { code } = await silent.closed;
    expect(code).toBe(1006);
    expect(pings).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3 * KEEPALIVE_MS));
    expect(polite.ws.readyState).toBe(WebSocket.OPEN);
    polite.ws.close();
  });
});

/** A `gc()` for measuring what is really held, not what awaits collection. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('a graphql-ws client that never reads while output streams', () => {
  let t: CommandTestApp;
  beforeAll(async () => {
    // Keep-alive at its longest, so what bounds the server is back-pressure, not the ping check.
    t = await startCommandApp('local', {
      RDEV_STREAM_KEEPALIVE_MS: '15000',
      RDEV_WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('costs the server no memory beyond a page per subscription, and loses nothing', async () => {
    const gc = collectGarbage();
    const c = await rawClient(t.url);
    expect(await c.init(t.adminKey)).toBe('ack');
    // About 24 MB, live, to three subscriptions of a client that reads nothing once they started.
    const command = await t.runShell({
      script: 'i=0; while [ $i -lt 24 ]; do head -c 1000000 /dev/zero | tr "\\0" "x"; i=$((i+1)); done',
    });
    const subscribe = (client: RawClient, id: string) =>
      client.send({
        id,
        type: 'subscribe',
        payload: {
          query: 'subscription($id: ID!) { commandOutput(commandId: $id) { seq data } }',
          variables: { id: command.id },
        },
      });
    for (const id of ['o0', 'o1', 'o2']) subscribe(c, id);
    await Promise.all(['o0', 'o1', 'o2'].map((id) => c.answered(id)));
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    gc();
    // Data pushed into a socket without waiting for the reader sits in Buffers, outside the heap:
    // count both.
    const held = () => {
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    const heldBefore = held();
    expect((await t.waitForEnd(command.id, 60_000)).status).toBe('SUCCEEDED');
    await new Promise((r) => setTimeout(r, 500));
    gc();
    // 72 MB were due to this client while it read nothing; the server sends an event only when
    // the previous one left, so it holds a page per subscription, not the backlog.
    expect(held() - heldBefore).toBeLessThan(16 * 1024 * 1024);
    // It reads again: each subscription goes on in order without a gap to its end. Events are at
    // most 16 KB, so three subscriptions that each wait for their previous event to leave never
    // fill the 256 KB send limit: a slow-consumer close here would mean the back-pressure broke.
    socket.resume();
    const seqs = new Map<string, number>();
    let gap = false;
    c.ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type !== 'next') return;
      const seq = m.payload.data.commandOutput.seq as number;
      if (seqs.has(m.id) && seq !== seqs.get(m.id)! + 1) gap = true;
      seqs.set(m.id, seq);
    });
    const deadline = Date.now() + 60_000;
    const done = () => c.messages.filter((m) => m.type === 'complete').length === 3;
    while (!done() && c.ws.readyState === WebSocket.OPEN && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(gap).toBe(false);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(done()).toBe(true);
    c.ws.close();
    // Nothing was lost: a client that reads gets all 24 MB.
    const reader = await rawClient(t.url);
    expect(await reader.init(t.adminKey)).toBe('ack');
    let bytes = 0;
    reader.ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'next') bytes += m.payload.data.commandOutput.data.length;
    });
    subscribe(reader, 'all');
    const until = Date.now() + 60_000;
    while (!reader.messages.some((m) => m.type === 'complete') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(bytes).toBeGreaterThanOrEqual(24_000_000);
    reader.ws.close();
  });
});

describe('graphql-ws while the database is unavailable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(async () => {
    // Its database was closed under it on purpose.
    await t?.close().catch(() => {});
  });

  it('closes a connection whose key cannot be checked with 1013 (try again later), revealing nothing', async () => {
    await t.database.pglite!.close();
    const c = await rawClient(t.url);
    const answer = await c.init(generateKeyText());
    expect(answer).toBe(1013);
    const { reason } = await c.closed;
    expect(reason).toMatch(/try|reconnect/i);
    expect(reason).not.toMatch(/PGlite|ECONNREFUSED|127\.0\.0\.1|postgres/i);
    // HTTP answers the same situation with 503 SERVICE_UNAVAILABLE.
    const res = await t.graphql('{ viewer { name } }', {}, t.auth(generateKeyText()));
    expect(res.status).toBe(503);
    expect(res.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  });
});
