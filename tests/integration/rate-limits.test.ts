import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { DATABASE_KINDS } from '../support/test-databases.js';

describe.each(DATABASE_KINDS)('rate limits on %s', (kind) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('limits a key by operation cost with RateLimit headers, then RATE_LIMITED with Retry-After', async () => {
    t = await startTestApp(kind, { RDEV_RATE_LIMIT_PER_KEY: '10', RDEV_RATE_LIMIT_WINDOW_SECONDS: '60' });
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const small = await t.yoga('{ viewer { clientIp } }', {}, t.auth(key));
    expect(small.status).toBe(200);
    expect(small.headers.get('ratelimit-policy')).toBe('"default";q=10;w=60');
    expect(small.headers.get('ratelimit')).toMatch(/^"default";r=9;t=\d+$/);
    // Twenty aliased fields cost more than one small query.
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: serverInfo { version }`).join(' ');
    const big = await t.yoga(`{ ${aliases} }`, {}, t.auth(key));
    expect(big.status).toBe(200);
    const remainingAfterBig = Number(/r=(\d+)/.exec(big.headers.get('ratelimit')!)![1]);
    expect(remainingAfterBig).toBeLessThanOrEqual(5);
    let refused: Awaited<ReturnType<TestApp['yoga']>> | undefined;
    for (let i = 0; i < 12 && !refused; i++) {
      const r = await t.yoga('{ viewer { clientIp } }', {}, t.auth(key));
      if (r.status === 429) refused = r;
    }
    expect(refused).toBeDefined();
    expect(refused!.body.errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: expect.any(Number),
    });
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key is not affected.
    expect((await t.yoga('{ viewer { clientIp } }', {}, t.auth())).status).toBe(200);
  });

  it('limits requests without a key per client IP, and the legacy REST routes too', async () => {
    t = await startTestApp(kind, { RDEV_RATE_LIMIT_ANONYMOUS: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.graphql('{ serverInfo { version } }')).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const rest = await fetch(`${t.url}/api/v1/commands/00000000-0000-0000-0000-000000000000`);
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await rest.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('caps subscriptions per key', async () => {
    t = await startTestApp(kind, { RDEV_MAX_SUBSCRIPTIONS_PER_KEY: '1' });
    const { createClient } = await import('graphql-sse');
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const client = createClient({ url: `${t.url}/graphql`, singleConnection: false, headers: t.auth(key) });
    const first = client.iterate({ query: 'subscription { heartbeat(intervalSeconds: 1) }' });
    await first.next();
    const second = client.iterate({ query: 'subscription { heartbeat(intervalSeconds: 1) }' });
    const result = await second.next().catch((e: unknown) => ({ error: e }));
    expect(JSON.stringify(result)).toContain('RATE_LIMITED');
    await first.return?.();
    client.dispose();
  });
});
