import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { startTestApp, type TestApp, useSharedTestApps } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { until } from '../support/wait.js';

const VIEWER = '{ viewer { scopes } }';

/** A raw graphql-ws connection: `connection_init` with `payload`, then the server's answer. */
async function wsConnect(url: string, payload: Record<string, unknown> = {}) {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const messages: any[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload }));
  const answer = await Promise.race([
    until(() => messages.some((m) => m.type === 'connection_ack'), 10_000, 'an ack').then(
      () => 'ack' as const,
    ),
    closed,
  ]);
  /** The messages of operation `id` once it answered (next or error), and its end when it ended. */
  const answered = async (id: string) => {
    await until(() => messages.some((m) => m.id === id && m.type !== 'complete'), 10_000, `operation ${id}`);
    return messages.filter((m) => m.id === id);
  };
  const subscribe = (id: string, payload: Record<string, unknown>) =>
    ws.send(JSON.stringify({ id, type: 'subscribe', payload }));
  return { ws, answer, closed, answered, subscribe, messages };
}

describe.each(DATABASE_KINDS)('authentication on %s', (kind) => {
  // The tests on default settings share one app: each looks only at keys it creates, and together
  // they stay well under the failed-authentication limit of one address.
  const shared = useSharedTestApps(kind);
  let t: TestApp | undefined;
  afterEach(async () => {
    if (!shared.has(t)) await t?.close();
    t = undefined;
  });
  const wsUrl = (query = '') => `${t!.url.replace('http', 'ws')}/graphql${query}`;

  it('authenticates inside yoga, so yoga.fetch with an Authorization header reaches the same path', async () => {
    t = await shared.get();
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['10.0.0.0/8'] });
    const ok = await t.yoga(VIEWER, {}, t.auth(key), '10.1.2.3');
    expect(ok.status).toBe(200);
    expect(ok.body.data.viewer.scopes).toEqual(['PROJECTS_READ']);
    const unknown = await t.yoga(VIEWER, {}, t.auth(generateKeyText()));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="rdev"');
    expect(unknown.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const anonymous = await t.yoga(VIEWER);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers a key refused for its address exactly as an unknown key, on every transport', async () => {
    t = await shared.get();
    const { key: blocked } = await t.createKey({ scopes: ['COMMANDS_READ'], allowedIps: ['10.0.0.0/8'] });
    const unknown = generateKeyText();
    const answers = async (key: string) => {
      const gql = await t!.graphql(VIEWER, {}, t!.auth(key));
      const rest = await fetch(`${t!.url}/api/v1/commands/00000000-0000-0000-0000-000000000000`, {
        headers: t!.auth(key),
      });
      const ws = await wsConnect(wsUrl(), { authorization: `Bearer ${key}` });
      return {
        graphql: { status: gql.status, body: gql.body, auth: gql.headers.get('www-authenticate') },
        rest: { status: rest.status, body: await rest.json(), auth: rest.headers.get('www-authenticate') },
        ws: ws.answer,
      };
    };
    const fromBlocked = await answers(blocked);
    expect(fromBlocked.graphql.status).toBe(401);
    expect(fromBlocked).toEqual(await answers(unknown));
    // The refusal is still told apart where only an administrator looks: the audit log.
    const audit = await t.graphql(
      '{ auditEvents(filter: { action: "api_key.use" }) { edges { node { outcome details } } } }',
      {},
      t.auth(),
    );
    const reasons = audit.body.data.auditEvents.edges.map((e: any) => e.node.details.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ip_not_allowed', 'unknown']));
  });

  it('rate limits failed authentications per client IP before any lookup, with Retry-After', async () => {
    t = await startTestApp(kind, {
      RDEV_AUTH_FAILURES_PER_WINDOW: '5',
      RDEV_WEBHOOK_WORKER: 'false',
      RDEV_DISPATCH_INTERVAL_MS: '60000',
      RDEV_LEASE_TTL_MS: '600000',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await t.graphql(VIEWER, {}, t.auth(generateKeyText()))).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    // Refused from memory: no query, not even for a key that exists.
    const queries = async () =>
      (await t!.app.metrics.dbQueries.get()).values.reduce((n, v) => n + v.value, 0);
    const before = await queries();
    const refused = await t.graphql(VIEWER, {}, t.auth());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(await queries()).toBe(before);
    // Another address is not affected; the legacy routes and graphql-ws share the limit.
    expect((await t.yoga(VIEWER, {}, t.auth(), '10.9.9.9')).status).toBe(200);
    const rest = await fetch(`${t.url}/api/v1/commands/00000000-0000-0000-0000-000000000000`, {
      headers: t.auth(),
    });
    expect(rest.status).toBe(429);
    expect((await wsConnect(wsUrl(), { authorization: `Bearer ${t.adminKey}` })).answer).toMatchObject({
      code: 4403,
    });
  });

  it('rate limits failed authentications per key prefix, whatever the address', async () => {
    t = await startTestApp(kind, { RDEV_AUTH_FAILURES_PER_WINDOW: '3' });
    const guessed = generateKeyText();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await t.yoga(VIEWER, {}, t.auth(guessed), `10.0.0.${i + 1}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });

  it('counts repeated refusals into audit rows rather than writing one per refusal', async () => {
    t = await startTestApp(kind, { RDEV_AUTH_FAILURES_PER_WINDOW: '1000' });
    const unknown = generateKeyText();
    for (let i = 0; i < 25; i++) expect((await t.graphql(VIEWER, {}, t.auth(unknown))).status).toBe(401);
    const rows = async () =>
      (
        await sql<{ client_ip: string; outcome: string; details: any }>`
          SELECT client_ip, outcome, details FROM audit_events WHERE action = 'api_key.use' ORDER BY id`.execute(
          t!.database.db,
        )
      ).rows;
    // The first refusal at once; its repeats are counted until the window ends (here: shutdown).
    expect((await rows()).map((r) => r.details.count)).toEqual([1]);
    await t.app.stop();
    const written = await rows();
    expect(written.map((r) => r.details.count)).toEqual([1, 24]);
    for (const row of written) {
      expect(row).toMatchObject({
        outcome: 'DENIED',
        client_ip: '127.0.0.1',
        details: { reason: 'unknown' },
      });
      expect(JSON.stringify(row)).not.toContain(unknown);
    }
  });

  it('refuses a key in the graphql-ws URL instead of ignoring it', async () => {
    t = await shared.get();
    for (const query of [`?api_key=${t.adminKey}`, `?token=${t.adminKey}`, `?x=${t.adminKey}`]) {
      const withParams = await wsConnect(wsUrl(query), { authorization: `Bearer ${t.adminKey}` });
      expect(withParams.answer, query).toMatchObject({ code: 4403, reason: expect.stringContaining('URL') });
      const anonymous = await wsConnect(wsUrl(query));
      expect(anonymous.answer, query).toMatchObject({ code: 4403 });
    }
    expect((await wsConnect(wsUrl('?other=1'))).answer).toBe('ack');
  });

  it("authenticates an operation by its own headers on an anonymous connection (GraphiQL's headers pane)", async () => {
    t = await shared.get();
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const c = await wsConnect(wsUrl());
    expect(c.answer).toBe('ack');
    c.subscribe('1', { query: VIEWER, extensions: { headers: { Authorization: `Bearer ${key}` } } });
    expect((await c.answered('1'))[0]).toMatchObject({
      type: 'next',
      payload: { data: { viewer: { scopes: ['PROJECTS_READ'] } } },
    });
    c.subscribe('2', {
      query: 'subscription { projectUpdated { type } }',
      extensions: { headers: { authorization: `Bearer ${key}` } },
    });
    c.subscribe('3', { query: 'subscription { projectUpdated { type } }' });
    c.subscribe('4', {
      query: VIEWER,
      extensions: { headers: { authorization: `Bearer ${generateKeyText()}` } },
    });
    expect(JSON.stringify(await c.answered('3'))).toContain('UNAUTHENTICATED');
    // Operation 4's unknown key took a database lookup; operation 2's key, checked the same way
    // before it and already known, would have been refused by now.
    expect(JSON.stringify(await c.answered('4'))).toContain('UNAUTHENTICATED');
    expect(c.messages.filter((m) => m.id === '2')).toEqual([]);
    // One operation's bad key is that operation's refusal, not the connection's.
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('gives anonymous callers a heartbeat no faster than a second, and few subscriptions per address', async () => {
    t = await startTestApp(kind, { RDEV_MAX_SUBSCRIPTIONS_PER_ANONYMOUS_IP: '3' });
    const c = await wsConnect(wsUrl());
    c.subscribe('fast', { query: 'subscription { heartbeat(intervalSeconds: 0) }' });
    expect(JSON.stringify(await c.answered('fast'))).toContain('VALIDATION_FAILED');
    for (let i = 0; i < 5; i++)
      c.subscribe(`h${i}`, { query: 'subscription { heartbeat(intervalSeconds: 60) }' });
    const answers = await Promise.all([0, 1, 2, 3, 4].map((i) => c.answered(`h${i}`)));
    expect(answers.filter((a) => a[0].type === 'next' && !a[0].payload.errors)).toHaveLength(3);
    expect(answers.filter((a) => JSON.stringify(a).includes('RATE_LIMITED'))).toHaveLength(2);
    // The cap is per address over every connection and transport; a key has its own.
    const other = await wsConnect(wsUrl());
    other.subscribe('x', { query: 'subscription { heartbeat(intervalSeconds: 60) }' });
    expect(JSON.stringify(await other.answered('x'))).toContain('RATE_LIMITED');
    const keyed = await wsConnect(wsUrl(), { authorization: `Bearer ${t.adminKey}` });
    keyed.subscribe('k', { query: 'subscription { heartbeat(intervalSeconds: 60) }' });
    expect((await keyed.answered('k'))[0]).toMatchObject({ type: 'next', payload: { data: {} } });
    for (const x of [c, other, keyed]) x.ws.close();
  });

  it('lets only callers with a key introspect the schema in production', async () => {
    t = await startTestApp(kind, { NODE_ENV: 'production' });
    const introspect = '{ __schema { queryType { name } } }';
    const anonymous = await t.graphql(introspect);
    expect(anonymous.body.errors[0].message).toMatch(/introspection/i);
    expect(anonymous.body.data).toBeUndefined();
    expect((await t.graphql(introspect, {}, t.auth())).body.data.__schema.queryType.name).toBe('Query');
    expect((await t.graphql('{ serverInfo { version } }')).body.data.serverInfo.version).toEqual(
      expect.any(String),
    );
  });

  it('in production serves no GraphiQL and suggests no field names, and otherwise answers the same', async () => {
    const observe = async (app: TestApp) => {
      const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
      const typo = await app.graphql('{ viewer { scopez } }', {}, app.auth());
      const ok = await app.graphql('{ viewer { scopes } }', {}, app.auth());
      return {
        graphiql: page.status === 200 && (page.headers.get('content-type') ?? '').includes('text/html'),
        typo: typo.body.errors[0].message as string,
        ok: ok.body,
      };
    };
    t = await startTestApp(kind);
    const usual = await observe(t);
    await t.close();
    t = await startTestApp(kind, { NODE_ENV: 'production' });
    const production = await observe(t);
    expect(usual.graphiql).toBe(true);
    expect(production.graphiql).toBe(false);
    expect(usual.typo).toMatch(/Did you mean "scopes"/);
    expect(production.typo).toMatch(/Cannot query field "scopez"/);
    expect(production.typo).not.toMatch(/Did you mean|scopes/);
    expect(production.ok).toEqual(usual.ok);
  });
});
