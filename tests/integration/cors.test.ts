import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { RDEV_CORS_ORIGINS: 'https://console.example.com' });
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (origin: string) =>
    fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...t.auth() },
      body: JSON.stringify({ query: '{ serverInfo { version } }' }),
    });
  const preflight = (origin: string) =>
    fetch(`${t.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('gives a foreign origin no Access-Control-Allow-Origin, on the preflight or the answer', async () => {
    for (const res of [await preflight('https://evil.example'), await post('https://evil.example')]) {
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('allows a listed origin with credentials', async () => {
    for (const res of [
      await preflight('https://console.example.com'),
      await post('https://console.example.com'),
    ]) {
      expect(res.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it("allows the server's own origin, which the console's pages carry", async () => {
    const own = new URL(t.url).origin;
    const res = await post(own);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(own);
  });
});
