import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';

describe.each(DATABASE_KINDS)('API key revocation across replicas on %s', (kind) => {
  let t: TestApp | undefined;
  const extra: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const a of extra.splice(0)) await a.stop();
    await t?.close();
    t = undefined;
  });

  it('takes effect on another replica within the cache TTL', async () => {
    t = await startTestApp(kind, { RDEV_AUTH_CACHE_TTL_MS: '1500' });
    // A second replica on the same database, with its own authentication cache.
    const replica = await createApp(
      loadConfig({ PORT: '0', RDEV_AUTH_CACHE_TTL_MS: '1500', NODE_ENV: 'test' }),
      {
        database: t.database,
        logger: createLogger({ level: 'silent' }),
      },
    );
    extra.push(replica);
    const { url } = await replica.start();
    const { key, id } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const viaReplica = () =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ viewer { scopes } }' }),
      }).then((r) => r.status);
    expect(await viaReplica()).toBe(200); // now cached on the replica
    await t.graphql(
      'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }',
      { id },
      t.auth(),
    );
    const revokedAt = Date.now();
    let status = 200;
    // The replica's cache entry lapses after the TTL; the deadline is generous for busy machines,
    // and a cache that never lapsed would still fail it.
    while (status === 200 && Date.now() - revokedAt < 20_000) {
      status = await viaReplica();
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
  });

  it('never shows a project-limited key the objects of keys beyond its grants, whatever ids it asks for', async () => {
    t = await startTestApp(kind);
    const app = t;
    const { key: limited } = await app.createKey({
      scopes: ['KEYS_MANAGE', 'PROJECTS_READ'],
      projectNames: ['alpha'],
    });
    const { id: inside } = await app.createKey({ scopes: ['PROJECTS_READ'], projectNames: ['alpha'] });
    const { id: outside } = await app.createKey({ scopes: ['PROJECTS_READ'], projectNames: ['beta'] });
    const { id: everywhere } = await app.createKey({ scopes: ['PROJECTS_READ'] });
    const admin = (await app.graphql('{ viewer { apiKey { id } } }', {}, app.auth())).body.data.viewer.apiKey
      .id;
    const forbidden = new Set([outside, everywhere, admin]);
    const idArb = fc.oneof(
      fc.constantFrom(inside, outside, everywhere, admin),
      fc.uuid().map((u) => Buffer.from(`ApiKey:${u}`).toString('base64')),
      fc.string().map((s) => Buffer.from(s).toString('base64')),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(idArb, { minLength: 1, maxLength: 5 }), async (ids) => {
        const { status, body } = await app.graphql(
          'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
          { ids },
          app.auth(limited),
        );
        expect(status).toBeLessThan(500);
        const seen = (body.data?.nodes ?? []).filter(Boolean).map((n: { id: string }) => n.id);
        for (const id of seen) expect(forbidden.has(id)).toBe(false);
      }),
      { numRuns: 40 },
    );
    const listed = await app.graphql(
      '{ apiKeys(first: 100) { edges { node { id } } } }',
      {},
      app.auth(limited),
    );
    const ids = listed.body.data.apiKeys.edges.map((e: any) => e.node.id);
    expect(ids).toContain(inside);
    for (const id of forbidden) expect(ids).not.toContain(id);
  });
});
