import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { migrations } from '../../migrations/index.js';
import {
  type DatabaseHandle,
  type DatabaseKind,
  openDatabase,
} from '../../src/adapters/postgres/database.js';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.js';
import { readPgliteTemplate } from './pglite-template.js';

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

let tarball: Blob | null | undefined;
/** A new migrated PGlite: loaded from the run's tarball, else cloned from a migrated template. */
async function newMigratedPglite(): Promise<PGlite> {
  tarball ??= readPgliteTemplate();
  if (tarball) {
    const { PGlite } = await import('@electric-sql/pglite');
    return PGlite.create({ loadDataDir: tarball });
  }
  return (await (await migratedPglite()).clone()) as PGlite;
}

/** A fresh, migrated database of the given kind, owned by one test. */
export async function createTestDatabase(
  kind: DatabaseKind,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    // Starting PGlite runs initdb, about 2 s; loading a migrated data directory skips it.
    const handle =
      options.migrate === false
        ? await openDatabase({ kind: 'pglite', dataDir: null })
        : await openDatabase({ kind: 'pglite', dataDir: null, from: await newMigratedPglite() });
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

/**
 * Empties every table but the migration record, and restarts identities: a database shared by a
 * file's tests is, to each test, as fresh as a new one, for a few milliseconds instead of the
 * second or more a new database costs. The audit table's trigger refuses DELETE, not TRUNCATE.
 */
export async function emptyTables(database: DatabaseHandle): Promise<void> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'rdev_migrations'`.execute(
    database.db,
  );
  if (tables.rows.length === 0) return;
  await sql`TRUNCATE ${sql.join(tables.rows.map((r) => sql.table(r.table_name)))} RESTART IDENTITY CASCADE`.execute(
    database.db,
  );
}

/**
 * One migrated database for the tests of a `describe`, emptied before each of them (see
 * `emptyTables`). For store tests that build their adapters per test and leave nothing running.
 */
export function useSharedDatabase(kind: DatabaseKind): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  beforeEach(async () => {
    await emptyTables(database!);
  });
  afterAll(async () => {
    await database?.dispose();
  });
  return () => database!;
}
