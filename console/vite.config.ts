import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console is served by rdev under `/console/`. Every asset lands in `assets/` with a content
 * hash (the server marks those immutable); nothing is inlined, so the page's Content-Security-Policy
 * needs no `data:` or inline-script exceptions. The nonce placeholder is replaced by the server on
 * every response of index.html.
 */
export const CSP_NONCE_PLACEHOLDER = '__RDEV_CSP_NONCE__';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  publicDir: false,
  html: { cspNonce: CSP_NONCE_PLACEHOLDER },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    sourcemap: false,
  },
  // `npx vite console` serves the console with hot reload against an rdev on port 4000.
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } },
  },
});
