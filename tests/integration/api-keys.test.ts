import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp, useSharedTestApps } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';
import { sleep, waitFor } from '../support/wait.js';

const VIEWER = '{ viewer { scopes projectNames apiKey { id name } } }';

/** Open subscriptions of one transport, as the app counts them. */
async function activeSubscriptions(t: TestApp, transport: string): Promise<number> {
  const metric = await t.app.metrics.activeSubscriptions.get();
  return metric.values.find((v) => v.labels.transport === transport)?.value ?? 0;
}

/** A graphql-ws `heartbeat` subscription with `key`, once its first beat has arrived. */
async function heartbeatOverWs(t: TestApp, key: string) {
  let code: number | undefined;
  const client = createWsClient({
    url: `${t.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    on: { closed: (event) => (code = (event as { code: number }).code) },
  });
  const received: unknown[] = [];
  const done = new Promise<unknown>((resolve) => {
    client.subscribe(
      { query: 'subscription { heartbeat(intervalSeconds: 1) }' },
      { next: (v) => received.push(v), error: resolve, complete: () => resolve('complete') },
    );
  });
  await waitFor(() => received.length > 0, 'the first heartbeat');
  return { client, done, closeCode: () => code };
}

describe.each(DATABASE_KINDS)('API keys on %s', (kind) => {
  // Tests that only look at keys they create themselves share an app per settings; those that
  // list or count every key, or watch the query counter, start their own.
  const shared = useSharedTestApps(kind);
  let t: TestApp | undefined;
  afterEach(async () => {
    if (!shared.has(t)) await t?.close();
    t = undefined;
  });

  it('lives a full lifecycle over HTTP: create, list, use, rotate, update, revoke', async () => {
    t = await startTestApp(kind, { RDEV_AUTH_CACHE_TTL_MS: '0' });
    // Through yoga.fetch: authentication happens inside yoga, so no socket is needed.
    const app = t;
    const created = await app.yoga(
      `mutation { createApiKey(input: { name: "ci bot", scopes: [PROJECTS_READ, COMMANDS_READ] }) {
        __typename ... on CreateApiKeyPayload { secret apiKey { id name prefix scopes projectNames allowedIps revokedAt } } } }`,
      {},
      app.auth(),
    );
    const { secret, apiKey } = created.body.data.createApiKey;
    expect(secret).toMatch(/^rdev_[0-9A-Za-z]{36}$/);
    expect(apiKey).toMatchObject({
      name: 'ci bot',
      scopes: ['PROJECTS_READ', 'COMMANDS_READ'],
      projectNames: null,
      allowedIps: [],
    });
    expect(secret.startsWith(apiKey.prefix.replace('…', ''))).toBe(true);

    // Listed without any secret anywhere in the response.
    const list = await app.yoga(
      '{ apiKeys(first: 10) { edges { node { id name prefix } } } }',
      {},
      app.auth(),
    );
    expect(list.body.data.apiKeys.edges.map((e: any) => e.node.name)).toEqual(['ci bot', 'bootstrap admin']);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(JSON.stringify(list.body)).not.toContain(app.adminKey);

    // Used.
    const used = await app.yoga(VIEWER, {}, app.auth(secret));
    expect(used.body.data.viewer).toMatchObject({
      scopes: ['PROJECTS_READ', 'COMMANDS_READ'],
      apiKey: { name: 'ci bot' },
    });
    // The key cannot manage keys.
    const denied = await app.yoga('{ apiKeys { edges { node { id } } } }', {}, app.auth(secret));
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');

    // Rotated: both secrets work during the grace period, only the new one after it.
    const rotated = await app.yoga(
      `mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriodSeconds: 2 }) {
        ... on RotateApiKeyPayload { secret apiKey { id } } } }`,
      { id: apiKey.id },
      app.auth(),
    );
    const newSecret = rotated.body.data.rotateApiKey.secret;
    expect(newSecret).not.toBe(secret);
    expect((await app.yoga(VIEWER, {}, app.auth(secret))).status).toBe(200);
    expect((await app.yoga(VIEWER, {}, app.auth(newSecret))).status).toBe(200);
    await sleep(2_200);
    const old = await app.yoga(VIEWER, {}, app.auth(secret));
    expect(old.status).toBe(401);
    expect(old.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await app.yoga(VIEWER, {}, app.auth(newSecret))).status).toBe(200);

    // Scopes updated.
    const updated = await app.yoga(
      `mutation($id: ID!) { updateApiKey(input: { id: $id, scopes: [AUDIT_READ] }) { ... on UpdateApiKeyPayload { apiKey { scopes } } } }`,
      { id: apiKey.id },
      app.auth(),
    );
    expect(updated.body.data.updateApiKey.apiKey.scopes).toEqual(['AUDIT_READ']);
    expect((await app.yoga(VIEWER, {}, app.auth(newSecret))).body.data.viewer.scopes).toEqual(['AUDIT_READ']);

    // Revoked: 401 from then on.
    const revoked = await app.yoga(
      `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { ... on RevokeApiKeyPayload { apiKey { revokedAt } } } }`,
      { id: apiKey.id },
      app.auth(),
    );
    expect(revoked.body.data.revokeApiKey.apiKey.revokedAt).toEqual(expect.any(String));
    expect((await app.yoga(VIEWER, {}, app.auth(newSecret))).status).toBe(401);

    // Every change is in the audit log, without secrets.
    const audit = await app.yoga(
      '{ auditEvents(first: 20) { edges { node { action outcome targetId details } } } }',
      {},
      app.auth(),
    );
    const actions = audit.body.data.auditEvents.edges.map((e: any) => e.node.action);
    expect(actions).toEqual(
      expect.arrayContaining(['api_key.create', 'api_key.rotate', 'api_key.update', 'api_key.revoke']),
    );
    const auditText = JSON.stringify(audit.body);
    for (const s of [secret, newSecret, app.adminKey]) expect(auditText).not.toContain(s);
  });

  it('rotates with the configured default grace period, and refuses one outside 0 to the maximum', async () => {
    t = await startTestApp(kind, {
      RDEV_AUTH_CACHE_TTL_MS: '0',
      RDEV_KEY_ROTATION_GRACE_SECONDS: '2',
      RDEV_KEY_ROTATION_GRACE_MAX_SECONDS: '60',
    });
    const { key, id } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const rotate = (gracePeriodSeconds?: number) =>
      t!.graphql(
        `mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) {
          __typename ... on RotateApiKeyPayload { secret } ... on ValidationFailedError { code message issues { path } } } }`,
        { input: { id, gracePeriodSeconds } },
        t!.auth(),
      );
    for (const grace of [61, -1, 10 ** 9]) {
      const refused = (await rotate(grace)).body.data.rotateApiKey;
      expect(refused, String(grace)).toMatchObject({
        __typename: 'ValidationFailedError',
        code: 'VALIDATION_FAILED',
        issues: [{ path: 'gracePeriodSeconds' }],
      });
    }
    // The refusals changed nothing; the longest allowed period is accepted.
    expect((await t.graphql(VIEWER, {}, t.auth(key))).status).toBe(200);
    expect((await rotate(60)).body.data.rotateApiKey.__typename).toBe('RotateApiKeyPayload');

    // Asked for no period, the old secret works for the configured default, and not after it.
    const { key: other, id: otherId } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const rotated = await t.graphql(
      'mutation($id: ID!) { rotateApiKey(input: { id: $id }) { ... on RotateApiKeyPayload { secret } } }',
      { id: otherId },
      t.auth(),
    );
    const secret = rotated.body.data.rotateApiKey.secret;
    expect((await t.graphql(VIEWER, {}, t.auth(other))).status).toBe(200);
    await sleep(2_200);
    expect((await t.graphql(VIEWER, {}, t.auth(other))).status).toBe(401);
    expect((await t.graphql(VIEWER, {}, t.auth(secret))).status).toBe(200);
  });

  it('stops accepting a key at its expiry', async () => {
    t = await startTestApp(kind, { RDEV_AUTH_CACHE_TTL_MS: '0' });
    const { key } = await t.createKey({
      scopes: ['PROJECTS_READ'],
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    expect((await t.yoga(VIEWER, {}, t.auth(key))).status).toBe(200);
    await sleep(1_700);
    const after = await t.yoga(VIEWER, {}, t.auth(key));
    expect(after.status).toBe(401);
  });

  it('writes lastUsedAt at most once per touch interval, not on every request', async () => {
    t = await startTestApp(kind, { RDEV_KEY_TOUCH_INTERVAL_MS: '2000' });
    const { key, id } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const lastUsed = async () => {
      const { body } = await t!.graphql(
        'query($id: ID!) { node(id: $id) { ... on ApiKey { lastUsedAt lastUsedIp } } }',
        { id },
        t!.auth(),
      );
      return body.data.node as { lastUsedAt: string | null; lastUsedIp: string | null };
    };
    expect((await lastUsed()).lastUsedAt).toBeNull();
    // The write happens beside the request, not in it: wait for the first one to land.
    const seen = new Set<string | null>();
    for (let i = 0; i < 5; i++) {
      expect((await t.graphql(VIEWER, {}, t.auth(key))).status).toBe(200);
      if (i === 0)
        await waitFor(async () => (await lastUsed()).lastUsedAt !== null, 'the first lastUsedAt write');
      seen.add((await lastUsed()).lastUsedAt);
    }
    expect(seen.size).toBe(1);
    const [first] = seen;
    expect(await lastUsed()).toEqual({ lastUsedAt: first, lastUsedIp: '127.0.0.1' });

    // Past the interval, the next request writes again.
    await sleep(2_100);
    expect((await t.graphql(VIEWER, {}, t.auth(key))).status).toBe(200);
    await waitFor(async () => (await lastUsed()).lastUsedAt !== first, 'a second lastUsedAt write');
    expect(Date.parse((await lastUsed()).lastUsedAt!)).toBeGreaterThan(Date.parse(first!));
  });

  it('closes an open graphql-ws subscription of a revoked key within the recheck interval', async () => {
    t = await shared.get({ RDEV_AUTH_RECHECK_MS: '500' });
    const { key, id } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const { client, done, closeCode } = await heartbeatOverWs(t, key);
    const revokedAt = Date.now();
    await t.graphql(
      'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }',
      { id },
      t.auth(),
    );
    await done;
    await waitFor(() => closeCode() !== undefined, 'the close code');
    expect(closeCode()).toBe(4403);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    await client.dispose();
  });

  it('ends an open GraphQL-over-SSE subscription of a revoked key with UNAUTHENTICATED', async () => {
    t = await shared.get({ RDEV_AUTH_RECHECK_MS: '500' });
    const { key, id } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const client = createSseClient({
      url: `${t.url}/graphql`,
      singleConnection: false,
      headers: t.auth(key),
      retryAttempts: 0,
    });
    const results = client.iterate({ query: 'subscription { heartbeat(intervalSeconds: 1) }' });
    expect((await results.next()).value).toMatchObject({ data: { heartbeat: expect.any(String) } });
    await t.graphql(
      'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }',
      { id },
      t.auth(),
    );
    // Heartbeats may still arrive until the next recheck; then the error, then the end.
    const after: any[] = [];
    for (let r = await results.next(); !r.done && after.length < 10; r = await results.next()) {
      after.push(r.value);
    }
    expect(after.at(-1).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(after.slice(0, -1).every((r) => r.data?.heartbeat)).toBe(true);
    expect(await activeSubscriptions(t, 'graphql-sse')).toBe(0);
    client.dispose();
  });

  it('closes an open graphql-ws subscription when its key expires', async () => {
    t = await shared.get({ RDEV_AUTH_RECHECK_MS: '500' });
    const { key } = await t.createKey({
      scopes: ['PROJECTS_READ'],
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });
    const { client, done, closeCode } = await heartbeatOverWs(t, key);
    // Nothing but the clock changes: the recheck notices the expiry by itself.
    await waitFor(() => closeCode() !== undefined, 'the close code');
    await done;
    expect(closeCode()).toBe(4403);
    expect(await activeSubscriptions(t, 'graphql-ws')).toBe(0);
    await client.dispose();
  });

  it('refuses a bad key on graphql-ws with close code 4403', async () => {
    t = await shared.get();
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((r) => ws.once('open', r));
    ws.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer rdev_not_a_real_key' } }),
    );
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    expect(code).toBe(4403);
  });

  it('refuses escalation: scopes, projects and IP ranges beyond the caller', async () => {
    t = await shared.get();
    const { key: manager } = await t.createKey({
      scopes: ['KEYS_MANAGE', 'PROJECTS_READ'],
      projectNames: ['alpha', 'beta'],
      allowedIps: ['127.0.0.0/8'],
    });
    const attempt = (input: Record<string, unknown>) =>
      t!.graphql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
          __typename ... on CreateApiKeyPayload { apiKey { id } } ... on Error { code message } } }`,
        { input: { name: 'x', ...input } },
        t!.auth(manager),
      );
    const refused = [
      { scopes: ['ADMIN'], projectNames: ['alpha'], allowedIps: ['127.0.0.1'] },
      { scopes: ['COMMANDS_RUN_SHELL'], projectNames: ['alpha'], allowedIps: ['127.0.0.1'] },
      { scopes: ['PROJECTS_READ'], projectNames: ['alpha', 'gamma'], allowedIps: ['127.0.0.1'] },
      { scopes: ['PROJECTS_READ'], allowedIps: ['127.0.0.1'] },
      { scopes: ['PROJECTS_READ'], projectNames: ['alpha'], allowedIps: ['0.0.0.0/0'] },
      { scopes: ['PROJECTS_READ'], projectNames: ['alpha'] },
    ];
    for (const input of refused) {
      const { body } = await attempt(input);
      expect(body.data.createApiKey, JSON.stringify(input)).toMatchObject({
        __typename: 'ForbiddenError',
        code: 'FORBIDDEN',
      });
    }
    const ok = await attempt({
      scopes: ['PROJECTS_READ'],
      projectNames: ['beta'],
      allowedIps: ['127.0.0.1/32'],
    });
    expect(ok.body.data.createApiKey.__typename).toBe('CreateApiKeyPayload');
    // Nor can it widen a key it manages, or its own key, after the fact.
    const managed = ok.body.data.createApiKey.apiKey.id;
    const own = (await t.graphql('{ viewer { apiKey { id } } }', {}, t.auth(manager))).body.data.viewer.apiKey
      .id;
    const update = (id: string, patch: Record<string, unknown>) =>
      t!.graphql(
        `mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) {
          __typename ... on UpdateApiKeyPayload { apiKey { scopes projectNames allowedIps } } ... on Error { code } } }`,
        { input: { id, ...patch } },
        t!.auth(manager),
      );
    const widenings = [
      { scopes: ['ADMIN'] },
      { scopes: ['PROJECTS_READ', 'COMMANDS_RUN_SHELL'] },
      { projectNames: ['beta', 'gamma'] },
      { projectNames: null },
      { allowedIps: ['0.0.0.0/0'] },
      { allowedIps: [] },
    ];
    for (const id of [managed, own]) {
      for (const patch of widenings) {
        const { body } = await update(id, patch);
        expect(body.data.updateApiKey, JSON.stringify(patch)).toMatchObject({
          __typename: 'ForbiddenError',
          code: 'FORBIDDEN',
        });
      }
    }
    const keys = await t.graphql(
      '{ apiKeys { edges { node { id scopes projectNames allowedIps } } } }',
      {},
      t.auth(),
    );
    expect(keys.body.data.apiKeys.edges.map((e: any) => e.node)).toEqual(
      expect.arrayContaining([
        { id: managed, scopes: ['PROJECTS_READ'], projectNames: ['beta'], allowedIps: ['127.0.0.1/32'] },
        {
          id: own,
          scopes: ['KEYS_MANAGE', 'PROJECTS_READ'],
          projectNames: ['alpha', 'beta'],
          allowedIps: ['127.0.0.0/8'],
        },
      ]),
    );
    // Narrowing within its own bounds is allowed, so the refusals above were about the widening.
    const narrowed = await update(managed, { projectNames: ['alpha'], allowedIps: ['127.0.0.2'] });
    expect(narrowed.body.data.updateApiKey).toMatchObject({
      __typename: 'UpdateApiKeyPayload',
      apiKey: { projectNames: ['alpha'] },
    });
    // Nor can it see, update, rotate or revoke the admin key, whose powers exceed its own.
    const admin = (await t.graphql('{ viewer { apiKey { id } } }', {}, t.auth())).body.data.viewer.apiKey.id;
    expect((await update(admin, { name: 'mine now' })).body.data.updateApiKey.__typename).toBe(
      'NotFoundError',
    );
    const rotate = await t.graphql(
      'mutation($id: ID!) { rotateApiKey(input: { id: $id }) { __typename ... on RotateApiKeyPayload { secret } } }',
      { id: admin },
      t.auth(manager),
    );
    expect(rotate.body.data.rotateApiKey.__typename).toBe('NotFoundError');
    const revoke = await t.graphql(
      'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }',
      { id: admin },
      t.auth(manager),
    );
    expect(revoke.body.data.revokeApiKey.__typename).toBe('NotFoundError');
    expect((await t.graphql(VIEWER, {}, t.auth())).body.data.viewer.scopes).toEqual(['ADMIN']);
    const node = await t.graphql('query($id: ID!) { node(id: $id) { id } }', { id: admin }, t.auth(manager));
    expect(node.body.data.node).toBeNull();
  });

  it('refuses a key that expires the power to create or make keys that outlive it', async () => {
    t = await startTestApp(kind);
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { key: manager } = await t.createKey({
      scopes: ['KEYS_MANAGE', 'PROJECTS_READ'],
      expiresAt: expiresAt.toISOString(),
    });
    const create = (extra: Record<string, unknown>) =>
      t!.graphql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
          __typename ... on CreateApiKeyPayload { apiKey { id expiresAt } } ... on Error { code message } } }`,
        { input: { name: 'x', scopes: ['PROJECTS_READ'], ...extra } },
        t!.auth(manager),
      );
    for (const extra of [
      {},
      { expiresAt: null },
      { expiresAt: new Date(expiresAt.getTime() + 1000).toISOString() },
    ]) {
      const { body } = await create(extra);
      expect(body.data.createApiKey, JSON.stringify(extra)).toMatchObject({ code: 'FORBIDDEN' });
      expect(body.data.createApiKey.message).toContain(expiresAt.toISOString());
    }
    const ok = await create({ expiresAt: expiresAt.toISOString() });
    expect(ok.body.data.createApiKey).toMatchObject({
      __typename: 'CreateApiKeyPayload',
      apiKey: { expiresAt: expiresAt.toISOString() },
    });
    const own = (await t.graphql('{ viewer { apiKey { id } } }', {}, t.auth(manager))).body.data.viewer.apiKey
      .id;
    for (const id of [ok.body.data.createApiKey.apiKey.id, own]) {
      const { body } = await t.graphql(
        `mutation($id: ID!) { updateApiKey(input: { id: $id, expiresAt: null }) { __typename ... on Error { code } } }`,
        { id },
        t.auth(manager),
      );
      expect(body.data.updateApiKey).toMatchObject({ code: 'FORBIDDEN' });
    }
    const keys = await t.graphql('{ apiKeys { edges { node { expiresAt } } } }', {}, t.auth());
    const expiries = keys.body.data.apiKeys.edges.map((e: any) => e.node.expiresAt);
    // The admin key, the manager and the one key it may create: nothing refused was stored.
    expect(expiries).toHaveLength(3);
    expect(expiries.filter((e: string | null) => e === expiresAt.toISOString())).toHaveLength(2);
  });

  it('rejects malformed keys with 401 and no database query', async () => {
    // Background loops (webhook polling, dispatch, adoption) query on their own schedule; park
    // them so the counter only moves for the requests under test.
    t = await startTestApp(kind, {
      RDEV_WEBHOOK_WORKER: 'false',
      RDEV_DISPATCH_INTERVAL_MS: '60000',
      RDEV_LEASE_TTL_MS: '600000',
    });
    const good = t.adminKey;
    const flipped = good.slice(0, 10) + (good[10] === 'a' ? 'b' : 'a') + good.slice(11);
    const malformed = [
      `xdev_${good.slice(5)}`,
      flipped,
      good.slice(0, -1),
      `${good}${'a'.repeat(5000)}`,
      `rdev_é${good.slice(6)}`,
      '',
    ];
    const counter = t.app.metrics.dbQueries;
    const queries = async () => (await counter.get()).values.reduce((n, v) => n + v.value, 0);
    // Let the start-up work (first dispatch and adoption passes) finish before counting.
    for (let last = -1, now = await queries(); now !== last; ) {
      await new Promise((r) => setTimeout(r, 300));
      last = now;
      now = await queries();
    }
    for (const bad of malformed) {
      const before = await queries();
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bad}` },
        body: JSON.stringify({ query: '{ viewer { scopes } }' }),
      });
      expect(res.status, bad.slice(0, 20)).toBe(401);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(await queries(), `no query for ${bad.slice(0, 20)}`).toBe(before);
    }
    // A key in the query string is refused even when valid.
    const inUrl = await fetch(
      `${t.url}/graphql?query=${encodeURIComponent('{ viewer { scopes } }')}&api_key=${good}`,
    );
    expect(inUrl.status).toBe(401);
    // The legacy header works.
    const legacy = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': good },
      body: JSON.stringify({ query: '{ viewer { scopes } }' }),
    });
    expect(((await legacy.json()) as any).data.viewer.scopes).toEqual(['ADMIN']);
  });

  it('keeps no key secret in the database', async () => {
    t = await shared.get();
    const secrets = [t.adminKey];
    for (let i = 0; i < 3; i++) secrets.push((await t.createKey({ scopes: ['PROJECTS_READ'] })).key);
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(
      t.database.db,
    );
    let dump = '';
    for (const { table_name } of tables.rows) {
      const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table_name)} t`.execute(
        t.database.db,
      );
      dump += rows.rows.map((r) => r.row).join('\n');
    }
    expect(dump).toContain('api_key.create');
    for (const s of secrets) {
      expect(dump).not.toContain(s);
      expect(dump).not.toContain(s.slice(5));
    }
  });
});

describe.each(DATABASE_KINDS)('API key IP allow-lists on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('honours IPv4, IPv6 and IPv4-mapped addresses from a trusted proxy, with an audit row on refusal', async () => {
    t = await startTestApp(kind, { RDEV_TRUSTED_PROXIES: '127.0.0.1/32,::1/128' });
    const { key: v4 } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['10.0.0.0/8'] });
    const { key: v6 } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['2001:db8::/32'] });
    const from = (key: string, xff: string) =>
      t!.graphql(VIEWER, {}, { ...t!.auth(key), 'x-forwarded-for': xff });
    expect((await from(v4, '10.1.2.3')).status).toBe(200);
    expect((await from(v4, '::ffff:10.9.8.7')).status).toBe(200);
    expect((await from(v4, '203.0.113.5, 10.1.2.3')).status).toBe(200);
    // Refused exactly as an unknown key is, so a leaked key's holder cannot tell it is real.
    const outside = await from(v4, '11.0.0.1');
    expect(outside.status).toBe(401);
    expect(outside.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await from(v6, '2001:db8::42')).status).toBe(200);
    expect((await from(v6, '2001:db9::1')).status).toBe(401);
    const audit = await t.graphql(
      '{ auditEvents(filter: { action: "api_key.use" }) { edges { node { outcome clientIp } } } }',
      {},
      t.auth(),
    );
    expect(audit.body.data.auditEvents.edges.map((e: any) => e.node)).toEqual(
      expect.arrayContaining([
        { outcome: 'DENIED', clientIp: '11.0.0.1' },
        { outcome: 'DENIED', clientIp: '2001:db9::1' },
      ]),
    );
  });

  it('applies the allow-list to graphql-ws connections by the address a trusted proxy forwards', async () => {
    t = await startTestApp(kind, { RDEV_TRUSTED_PROXIES: '127.0.0.1/32' });
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['10.0.0.0/8'] });
    const connect = (xff: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${t!.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
          headers: { 'x-forwarded-for': xff },
        });
        ws.once('open', () =>
          ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })),
        );
        ws.once('message', (data) => {
          resolve(JSON.parse(String(data)).type);
          ws.close();
        });
        ws.once('close', (code) => resolve(`closed ${code}`));
      });
    expect(await connect('10.1.2.3')).toBe('connection_ack');
    expect(await connect('11.0.0.1')).toBe('closed 4403');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    t = await startTestApp(kind);
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['10.0.0.0/8'] });
    const spoofed = await t.graphql(VIEWER, {}, { ...t.auth(key), 'x-forwarded-for': '10.0.0.1' });
    expect(spoofed.status).toBe(401);
    const { key: local } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['127.0.0.1/32'] });
    const ok = await t.graphql(
      '{ viewer { clientIp } }',
      {},
      { ...t.auth(local), 'x-forwarded-for': '10.0.0.1' },
    );
    expect(ok.body.data.viewer.clientIp).toBe('127.0.0.1');
  });

  it('matches a real IPv6 loopback client', async () => {
    t = await startTestApp(kind, { HOST: '::1' });
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['::1/128'] });
    expect((await t.graphql('{ viewer { clientIp } }', {}, t.auth(key))).body.data.viewer.clientIp).toBe(
      '::1',
    );
    const { key: v4only } = await t.createKey({ scopes: ['PROJECTS_READ'], allowedIps: ['127.0.0.1/32'] });
    expect((await t.graphql(VIEWER, {}, t.auth(v4only))).status).toBe(401);
  });
});
