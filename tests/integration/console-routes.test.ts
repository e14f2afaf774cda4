import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_WELCOME } from '../../src/graphql/graphiql-page.js';
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

describe('the web console and GraphiQL, served', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.close());

  it('sends a browser from / to the console, and tells an API client there is nothing there', async () => {
    const res = await get(`${t.url}/`, BROWSER);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/console');
    expect((await get(`${t.url}/`, BROWSER, 'HEAD')).status).toBe(302);
    const apiClients: Record<string, string>[] = [{}, { accept: 'application/json' }, { accept: '*/*' }];
    for (const headers of apiClients) {
      const api = await get(`${t.url}/`, headers);
      expect(api.status, JSON.stringify(headers)).toBe(404);
      expect(JSON.parse(api.body.toString()).error.code).toBe('NOT_FOUND');
    }
  });

  it('serves GraphiQL compressed once, with an ETag a reload revalidates, opening on an rdev example', async () => {
    const br = await get(`${t.url}/graphql`, BROWSER);
    expect(br.status).toBe(200);
    expect(br.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('no-cache');
    expect(br.headers.vary).toBe('accept-encoding');
    const etag = String(br.headers.etag);
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    const page = brotliDecompressSync(br.body);
    // Some 9 MB of script: compressed to a fraction.
    expect(page.length).toBeGreaterThan(5_000_000);
    expect(br.body.length).toBeLessThan(page.length / 3);
    // GraphiQL's options, with the example as the editor's first text (asserted without printing 9 MB).
    expect(page.toString('utf8').includes(`"defaultQuery":${JSON.stringify(GRAPHIQL_WELCOME)}`)).toBe(true);

    const gzip = await get(`${t.url}/graphql`, { accept: 'text/html', 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(page)).toBe(true);
    expect(gzip.headers.etag).toBe(etag);
    const plain = await get(`${t.url}/graphql`, { accept: 'text/html' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(page)).toBe(true);

    const again = await get(`${t.url}/graphql`, { ...BROWSER, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    // A client that does not ask for HTML still reaches the API on the same path.
    const api = await get(`${t.url}/graphql?query=%7B__typename%7D`, {
      accept: 'application/json',
      'x-graphql-csrf': '1',
    });
    expect(JSON.parse(api.body.toString())).toEqual({ data: { __typename: 'Query' } });
  });

  it("GraphiQL's example is valid against the schema and its first step runs", async () => {
    // Every operation of a document is validated, whichever one runs.
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t.auth() },
      body: JSON.stringify({ query: GRAPHIQL_WELCOME, operationName: 'Projects' }),
    });
    const projects = await res.json();
    expect(projects.errors).toBeUndefined();
    expect(Array.isArray(projects.data.projects.edges)).toBe(true);
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
