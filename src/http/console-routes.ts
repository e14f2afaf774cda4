import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import {
  acceptsEncoding,
  COMMON_HEADERS,
  type CompressedBody,
  send,
  sendCompressed,
} from './compressed-body.js';
import type { RouteHandler } from './http-server.js';

/**
 * The web console: a single-page app built into `console/dist` (scripts/build-console.mjs),
 * served under `/console` by every replica. Hashed files under `assets/` are immutable; every
 * other path under `/console` answers the app's page, which routes in the browser (deep links
 * such as `/console/commands/{id}`). The page is sent with a fresh CSP nonce each time and is
 * never cached without revalidation, so a new build is picked up on the next load. `GET /` sends
 * a browser (one that accepts text/html) to the console.
 */

export interface ConsoleRoutesOptions {
  /** The built console; by default `console/dist` in the package folder. */
  dir?: string;
}

interface Asset extends CompressedBody {
  type: string;
}

interface Bundle {
  page: string;
  assets: Map<string, Asset>;
}

const PREFIX = '/console';
const ASSETS = `${PREFIX}/assets/`;
const NONCE_PLACEHOLDER = /__RDEV_CSP_NONCE__/g;
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
};

/**
 * Everything from this server's origin and nothing inline but what carries the nonce: xterm.js
 * writes its theme into `<style>` elements (the console gives them the nonce) and sets a few
 * `style` attributes (allowed; attributes cannot load anything or run code).
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function createConsoleRoutes(options: ConsoleRoutesOptions = {}): RouteHandler {
  const dir = options.dir ?? join(packageRoot(), 'console', 'dist');
  let loading: Promise<Bundle | null> | null = null;
  // Read once; a missing build is looked for again on the next request.
  const bundle = async () => {
    loading ??= loadBundle(dir);
    const loaded = await loading;
    if (!loaded) loading = null;
    return loaded;
  };

  return async ({ req, res, url }) => {
    const path = url.pathname;
    if (path === '/') {
      // A browser goes to the console; an API client keeps the JSON 404 that says what is not here.
      if (!isRead(req) || !req.headers.accept?.includes('text/html')) return false;
      res.writeHead(302, { location: `${PREFIX}`, 'cache-control': 'no-cache', 'content-length': 0 });
      res.end();
      return true;
    }
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    if (!isRead(req)) {
      res.writeHead(405, {
        allow: 'GET, HEAD',
        'content-type': 'text/plain; charset=utf-8',
        ...COMMON_HEADERS,
      });
      res.end('Method not allowed.\n');
      return true;
    }
    const loaded = await bundle();
    if (!loaded) {
      send(
        req,
        res,
        503,
        { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        NOT_BUILT,
      );
      return true;
    }
    if (path.startsWith(ASSETS)) {
      const asset = loaded.assets.get(path.slice(ASSETS.length));
      if (!asset) {
        send(
          req,
          res,
          404,
          { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' },
          'Not found.\n',
        );
        return true;
      }
      sendCompressed(
        req,
        res,
        { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' },
        asset,
      );
      return true;
    }
    const nonce = randomBytes(18).toString('base64');
    const page = Buffer.from(loaded.page.replace(NONCE_PLACEHOLDER, nonce));
    const br = acceptsEncoding(req, 'br');
    send(
      req,
      res,
      200,
      {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': contentSecurityPolicy(nonce),
        vary: 'accept-encoding',
        ...(br ? { 'content-encoding': 'br' } : {}),
      },
      br ? brotliCompressSync(page, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }) : page,
    );
    return true;
  };
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>rdev console</title>
<h1>The console has not been built</h1>
<p>Run <code>npm run build:console</code> (it needs the development dependencies) and reload.
The API is served at <a href="/graphql">/graphql</a>.</p></html>
`;

function isRead(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

/** The whole build in memory (a few hundred KB): the page template and each asset with its compressed copies. */
async function loadBundle(dir: string): Promise<Bundle | null> {
  let page: string;
  try {
    page = await readFile(join(dir, 'index.html'), 'utf8');
  } catch {
    return null;
  }
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, 'assets');
  const names = existsSync(assetDir) ? await readdir(assetDir, { recursive: true, withFileTypes: true }) : [];
  const read = (file: string) => readFile(file).catch(() => null);
  for (const entry of names) {
    if (!entry.isFile() || /\.(br|gz)$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const name = relative(assetDir, file).split(sep).join('/');
    assets.set(name, {
      type: TYPES[extname(name)] ?? 'application/octet-stream',
      body: await readFile(file),
      br: await read(`${file}.br`),
      gzip: await read(`${file}.gz`),
      etag: null, // hashed names: a new build is a new name, never a revalidation
    });
  }
  return { page, assets };
}

/** The folder holding package.json: the checkout, or /app in the container image. */
function packageRoot(): string {
  let at = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(at, 'package.json'))) {
    const up = dirname(at);
    if (up === at) throw new Error('package.json not found above the console routes');
    at = up;
  }
  return at;
}
