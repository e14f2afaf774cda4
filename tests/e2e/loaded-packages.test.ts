import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startRdev } from '../support/rdev-process.js';
import { createScratchPostgres, POSTGRES_URL } from '../support/test-databases.js';

const REPORT = fileURLToPath(new URL('../support/report-loaded-packages.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Starts `rdev serve`, answers one query (and shows GraphiQL when asked), stops it, and returns
 * the npm packages it had loaded.
 */
async function packagesOfServe(env: Record<string, string>, showGraphiQL = false): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-packages-'));
  dirs.push(dir);
  const proc = await startRdev(
    { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws'), ...env },
    90_000,
    ['--import', REPORT],
  );
  const res = await fetch(`${proc.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ serverInfo { version } }' }),
  });
  expect(res.status).toBe(200);
  if (showGraphiQL) {
    const page = await fetch(`${proc.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('<div id="root">');
  }
  proc.child.kill('SIGTERM');
  expect((await proc.exited).code).toBe(0);
  const line = /^loaded-packages: (.*)$/m.exec(proc.stderr());
  if (!line) throw new Error(`no package report:\n${proc.stderr()}`);
  return JSON.parse(line[1]!) as string[];
}

const sdk = (packages: string[]) =>
  packages.filter((p) => /^@opentelemetry\/(sdk-|exporter-|resources)/.test(p));
const pglite = (packages: string[]) => packages.filter((p) => /pglite/.test(p));
const GRAPHIQL = '@graphql-yoga/render-graphiql';

/**
 * The OpenTelemetry SDK, PGlite and the GraphiQL page cost megabytes of memory; a process loads
 * them only to use them.
 */
describe('packages an rdev process loads', () => {
  it.skipIf(!POSTGRES_URL)(
    'on PostgreSQL, exporting no traces, GraphiQL not shown: none of them',
    async () => {
      const database = await createScratchPostgres();
      try {
        const packages = await packagesOfServe({ DATABASE_URL: database.url });
        expect(packages).toContain('@opentelemetry/api');
        expect(packages).toContain('pg');
        expect(sdk(packages)).toEqual([]);
        expect(pglite(packages)).toEqual([]);
        expect(packages).not.toContain(GRAPHIQL);
      } finally {
        await database.drop();
      }
    },
  );

  it('on PGlite, exporting traces, GraphiQL shown: all of them', async () => {
    const packages = await packagesOfServe(
      {
        // Nothing listens there; the spans of the one query are dropped at shutdown.
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      },
      true,
    );
    expect(sdk(packages)).toContain('@opentelemetry/sdk-trace-node');
    expect(pglite(packages)).toContain('@electric-sql/pglite');
    expect(packages).toContain(GRAPHIQL);
  });
});
