import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A raw GET or HEAD: no redirect following and no transparent decompression, as a browser sees the wire. */
function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const BROWSER = { accept: 'text/html,application/xhtml+xml', 'accept-encoding': 'gzip, deflate, br' };

/** The scripts and styles the console's page loads, in the order it names them. */
function pageAssets(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('the web console, served', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.close());

  it('sends a browser from / to the console', async () => {
    const res = await get(`${t.url}/`, BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/console');
    expect((await get(`${t.url}/`, {}, 'HEAD')).status).toBe(302);
  });

  it('answers the page for /console and every path under it, with a fresh CSP nonce each time', async () => {
    const nonces: string[] = [];
    for (const path of ['/console', '/console/', '/console/commands/Q29tbWFuZDox', '/console/keys?x=1']) {
      const res = await get(`${t.url}${path}`, { accept: 'text/html' });
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const html = res.body.toString('utf8');
      expect(html).toContain('<div id="app"></div>');
      expect(html).not.toContain('__RDEV_CSP_NONCE__');
      const csp = String(res.headers['content-security-policy']);
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      expect(nonce, csp).toBeDefined();
      // The page's own tags carry the nonce the policy names.
      expect(html).toContain(`<meta property="csp-nonce" nonce="${nonce}">`);
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(csp).not.toMatch(/style-src [^;]*unsafe-inline/);
      nonces.push(nonce!);
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('compresses the page for clients that accept brotli', async () => {
    const res = await get(`${t.url}/console`, BROWSER);
    expect(res.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(res.body).toString('utf8')).toContain('<div id="app"></div>');
  });

  it('serves hashed assets precompressed and immutable, the same bytes in every encoding', async () => {
    const html = (await get(`${t.url}/console`)).body.toString('utf8');
    const assets = pageAssets(html);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const path of assets) {
      const plain = await get(`${t.url}${path}`);
      expect(plain.status, path).toBe(200);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toBe('accept-encoding');
      if (path.endsWith('.svg')) continue;
      const br = await get(`${t.url}${path}`, { 'accept-encoding': 'gzip, br' });
      expect(br.headers['content-encoding'], path).toBe('br');
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      expect(br.body.length).toBeLessThan(plain.body.length);
      const gzip = await get(`${t.url}${path}`, { 'accept-encoding': 'gzip, br;q=0' });
      expect(gzip.headers['content-encoding'], path).toBe('gzip');
      expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    }
    const script = assets.find((a) => a.endsWith('.js'))!;
    expect((await get(`${t.url}${script}`)).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 for an asset that does not exist, 405 for writes, and no body to HEAD', async () => {
    for (const path of [
      '/console/assets/nope.js',
      '/console/assets/../../package.json',
      '/console/assets/%2e%2e/%2e%2e/package.json',
      '/console/assets/index.html',
    ]) {
      const res = await get(`${t.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).not.toContain('"name": "rdev"');
    }
    const post = await fetch(`${t.url}/console`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await get(`${t.url}/console`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });

  it('leaves the API routes to the API', async () => {
    const res = await get(`${t.url}/consoles`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString()).error.code).toBe('NOT_FOUND');
    expect((await t.graphql('{ serverInfo { version } }')).status).toBe(200);
  });
});
