import { type CompressedBody, compressOnce, sendCompressed } from './compressed-body.js';
import type { RouteHandler } from './http-server.js';

/**
 * GraphiQL at `/graphql` for a browser (a GET that accepts text/html, as yoga decides). The page
 * is some 9 MB of script that never changes while the server runs: it is rendered and compressed
 * once, on the first request, then sent as the browser accepts it (under 2 MB in brotli) with an
 * ETag, so a reload revalidates with a 304 instead of downloading it again.
 */
export function createGraphiQLRoute(render: () => Promise<string>): RouteHandler {
  let page: Promise<CompressedBody> | null = null;
  const compressed = () => {
    if (!page) {
      page = render().then((html) => compressOnce(Buffer.from(html)));
      // A failed render is tried again on the next request rather than kept.
      page.catch(() => {
        page = null;
      });
    }
    return page;
  };
  return async ({ req, res, url }) => {
    if (url.pathname !== '/graphql' && url.pathname !== '/graphql/') return false;
    if (req.method !== 'GET' || !req.headers.accept?.includes('text/html')) return false;
    sendCompressed(
      req,
      res,
      { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
      await compressed(),
    );
    return true;
  };
}
