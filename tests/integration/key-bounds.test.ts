import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';

const VIEWER = '{ viewer { apiKey { id name rateLimit } } }';
const RESULT = '__typename ... on Error { code message }';

const ROTATE = `mutation($id: ID!, $grace: Int) { rotateApiKey(input: { id: $id, gracePeriodSeconds: $grace }) {
  ${RESULT} ... on RotateApiKeyPayload { secret } } }`;
const UPDATE = `mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) {
  ${RESULT} ... on UpdateApiKeyPayload { apiKey { name rateLimit } } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { ${RESULT} } }`;
const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  ${RESULT} ... on CreateApiKeyPayload { secret apiKey { rateLimit expiresAt } } } }`;

describe.each(DATABASE_KINDS)('what a key may do to keys, on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('lets a secret in its grace period use its key but not take it back from the newest secret', async () => {
    // The authentication cache stays on (its default TTL), as in production.
    t = await startTestApp(kind);
    const app = t;
    const { key: s1, id } = await app.createKey({ scopes: ['KEYS_MANAGE', 'PROJECTS_READ'], name: 'bot' });
    const rotated = await app.graphql(ROTATE, { id, grace: 3600 }, app.auth(s1));
    const s2 = rotated.body.data.rotateApiKey.secret as string;
    expect(s2).toMatch(/^rdev_/);

    // S1 still authenticates for use during its grace period.
    expect((await app.graphql(VIEWER, {}, app.auth(s1))).body.data.viewer.apiKey.name).toBe('bot');

    // It cannot rotate with no grace and shut out the holder of S2.
    const taken = await app.graphql(ROTATE, { id, grace: 0 }, app.auth(s1));
    expect(taken.body.data.rotateApiKey).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(taken.body.data.rotateApiKey.message).toMatch(/newest secret/);
    expect((await app.graphql(VIEWER, {}, app.auth(s2))).status).toBe(200);

    // Nor change or revoke its key.
    const renamed = await app.graphql(UPDATE, { input: { id, name: 'mine now' } }, app.auth(s1));
    expect(renamed.body.data.updateApiKey.code).toBe('FORBIDDEN');
    const revoked = await app.graphql(REVOKE, { id }, app.auth(s1));
    expect(revoked.body.data.revokeApiKey.code).toBe('FORBIDDEN');
    expect((await app.graphql(VIEWER, {}, app.auth(s2))).body.data.viewer.apiKey.name).toBe('bot');

    // Nor mint a key that outlives its own grace period; one that ends within it is fine.
    const forever = await app.graphql(
      CREATE,
      { input: { name: 'forever', scopes: ['PROJECTS_READ'], expiresAt: null } },
      app.auth(s1),
    );
    expect(forever.body.data.createApiKey.code).toBe('FORBIDDEN');
    const later = new Date(Date.now() + 2 * 3600_000).toISOString();
    const tooLate = await app.graphql(
      CREATE,
      { input: { name: 'later', scopes: ['PROJECTS_READ'], expiresAt: later } },
      app.auth(s1),
    );
    expect(tooLate.body.data.createApiKey.code).toBe('FORBIDDEN');
    const soon = new Date(Date.now() + 600_000).toISOString();
    const within = await app.graphql(
      CREATE,
      { input: { name: 'soon', scopes: ['PROJECTS_READ'], expiresAt: soon } },
      app.auth(s1),
    );
    expect(within.body.data.createApiKey.__typename).toBe('CreateApiKeyPayload');

    // The newest secret still manages its key: rotating with no grace ends S1 and S2 at once.
    const again = await app.graphql(ROTATE, { id, grace: 0 }, app.auth(s2));
    const s3 = again.body.data.rotateApiKey.secret as string;
    expect(s3).toMatch(/^rdev_/);
    expect((await app.graphql(VIEWER, {}, app.auth(s1))).status).toBe(401);
    expect((await app.graphql(VIEWER, {}, app.auth(s2))).status).toBe(401);
    expect((await app.graphql(VIEWER, {}, app.auth(s3))).status).toBe(200);
  });

  it('bounds the rate limit of keys a key creates or changes, its own included, by its own', async () => {
    t = await startTestApp(kind, { RDEV_RATE_LIMIT_PER_KEY: '1000' });
    const app = t;
    const create = async (input: Record<string, unknown>, key?: string) =>
      (await app.graphql(CREATE, { input: { scopes: ['PROJECTS_READ'], ...input } }, app.auth(key))).body.data
        .createApiKey;

    const parent = await create({ name: 'parent', scopes: ['KEYS_MANAGE', 'PROJECTS_READ'], rateLimit: 50 });
    expect(parent.apiKey.rateLimit).toBe(50);
    const p = parent.secret as string;
    const parentId = (await app.graphql(VIEWER, {}, app.auth(p))).body.data.viewer.apiKey.id as string;

    // Children: not above 50, and not "the default" (1000) either.
    const above = await create({ name: 'above', rateLimit: 100 }, p);
    expect(above).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(above.message).toMatch(/rate limit above its own.*50/);
    expect((await create({ name: 'default', rateLimit: null }, p)).code).toBe('FORBIDDEN');
    expect((await create({ name: 'equal', rateLimit: 50 }, p)).apiKey.rateLimit).toBe(50);

    // Its own limit cannot be raised, nor set back to the default.
    for (const rateLimit of [100_000, null]) {
      const raised = await app.graphql(UPDATE, { input: { id: parentId, rateLimit } }, app.auth(p));
      expect(raised.body.data.updateApiKey.code).toBe('FORBIDDEN');
    }
    const lowered = await app.graphql(UPDATE, { input: { id: parentId, rateLimit: 40 } }, app.auth(p));
    expect(lowered.body.data.updateApiKey.apiKey.rateLimit).toBe(40);
    expect((await app.graphql(VIEWER, {}, app.auth(p))).body.data.viewer.apiKey.rateLimit).toBe(40);

    // A key without a limit of its own has the default: no child above it.
    const plain = (await create({ name: 'plain', scopes: ['KEYS_MANAGE', 'PROJECTS_READ'] }))
      .secret as string;
    expect((await create({ name: 'big', rateLimit: 5000 }, plain)).code).toBe('FORBIDDEN');
    expect((await create({ name: 'same', rateLimit: null }, plain)).__typename).toBe('CreateApiKeyPayload');

    // An admin is bounded by nothing.
    expect((await create({ name: 'admin made', rateLimit: 5000 })).apiKey.rateLimit).toBe(5000);
  });
});
