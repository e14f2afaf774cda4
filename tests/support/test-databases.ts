import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import {
  type DatabaseHandle,
  type DatabaseKind,
  openDatabase,
} from '../../src/adapters/postgres/database.js';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.js';

/**
 * Every store test runs on PGlite and on a real PostgreSQL server (`RDEV_TEST_DATABASE_URL`).
 * Without that variable the PostgreSQL runs are skipped with a visible message, except under CI,
 * where a missing server is an error.
 */
export const POSTGRES_URL = process.env.RDEV_TEST_DATABASE_URL;

if (!POSTGRES_URL) {
  if (process.env.CI) {
    throw new Error('RDEV_TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests (see .ci/run).');
  }
  console.warn(
    '\n[rdev tests] RDEV_TEST_DATABASE_URL is not set: PostgreSQL runs are SKIPPED, PGlite runs only.\n',
  );
}

export const DATABASE_KINDS: DatabaseKind[] = POSTGRES_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase extends DatabaseHandle {
  /** On PostgreSQL, the URL of this test's own database (for child processes and extra connections). */
  testUrl: string | null;
  /** Closes and drops the database. */
  dispose(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database of its own; returns its URL and a drop function. */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!POSTGRES_URL) throw new Error('RDEV_TEST_DATABASE_URL is not set');
  const name = `rdev_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(POSTGRES_URL, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let template: Promise<PGlite> | null = null;
function migratedPglite(): Promise<PGlite> {
  template ??= (async () => {
    const handle = await openDatabase({ kind: 'pglite', dataDir: null });
    await migrateToLatest(handle.db, migrations);
    return handle.pglite!;
  })();
  return template;
}

/** A fresh, migrated database of the given kind, owned by one test. */
export async function createTestDatabase(
  kind: DatabaseKind,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    // Starting PGlite costs about 2 s; cloning a migrated template costs about 0.4 s.
    const source = options.migrate === false ? null : await migratedPglite();
    const handle = source
      ? await openDatabase({ kind: 'pglite', dataDir: null, from: (await source.clone()) as PGlite })
      : await openDatabase({ kind: 'pglite', dataDir: null });
    return { ...handle, testUrl: null, dispose: () => handle.close() };
  }
  const scratch = await createScratchPostgres();
  const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 5 });
  if (options.migrate !== false) await migrateToLatest(handle.db, migrations);
  return {
    ...handle,
    testUrl: scratch.url,
    dispose: async () => {
      await handle.close();
      await scratch.drop();
    },
  };
}
