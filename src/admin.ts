import { readdir } from 'node:fs/promises';
import { migrations } from '../migrations/index.js';
import { LocalProjectSource } from './adapters/local/local-project-source.js';
import { type DatabaseTarget, openReachableDatabase } from './adapters/postgres/database.js';
import { migrateToLatest } from './adapters/postgres/migrator.js';
import { createPostgresStores } from './adapters/postgres/postgres-stores.js';
import { PostgresUnitOfWork } from './adapters/postgres/postgres-unit-of-work.js';
import type { Config } from './config.js';
import { systemClock } from './domain/clock.js';
import { ApiKeyService } from './services/api-key-service.js';

// The admin CLI's composition: the database and the key service only, without the GraphQL
// schema, the HTTP server or the workers, so a `rdev keys` call loads a fraction of the server.

/** The configured database, opened for a command that exits when done. */
function shortLived(config: Config): DatabaseTarget {
  return config.database.kind === 'pglite' ? { ...config.database, shortLived: true } : config.database;
}

/** `rdev migrate`: applies pending migrations and closes the database. */
export async function migrateDatabase(config: Config): Promise<string[]> {
  const database = await openReachableDatabase(shortLived(config), 'DATABASE_URL');
  try {
    return (await migrateToLatest(database.db, migrations)).applied;
  } finally {
    await database.close();
  }
}

/**
 * The services without any server, for the admin CLI: opens and migrates the database; the caller
 * must `close()` it. Acting as the system principal is the CLI's privilege (shell access to the
 * host or pod already means full control).
 */
export async function openAdminServices(
  config: Config,
): Promise<{ apiKeys: ApiKeyService; close(): Promise<void> }> {
  const database = await openReachableDatabase(shortLived(config), 'DATABASE_URL');
  try {
    await migrateToLatest(database.db, migrations);
  } catch (error) {
    await database.close();
    throw error;
  }
  const stores = createPostgresStores(database.db);
  const apiKeys = new ApiKeyService({
    store: stores.apiKeys,
    unitOfWork: new PostgresUnitOfWork(database.db, createPostgresStores),
    clock: systemClock,
    rotationGraceDefaultSeconds: config.auth.rotationGraceSeconds,
    rotationGraceMaxSeconds: config.auth.rotationGraceMaxSeconds,
    defaultRateLimit: config.rateLimits.perKey,
    onKeyChanged: () => {},
  });
  return { apiKeys, close: () => database.close() };
}

/**
 * The projects rdev serves, when it can know them without a server: the local runtime's folders
 * and projects file, read as `rdev serve` reads them.
 * `null` for Kubernetes, whose projects are pods that may come and go.
 */
export async function knownProjectNames(config: Config): Promise<string[] | null> {
  if (config.runtime === 'kubernetes') return null;
  // Read without creating anything: a missing or empty folder gets only `demo` when serving starts.
  const entries = await readdir(config.workspacesDir, { withFileTypes: true }).catch(() => []);
  if (!entries.some((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.')))
    return ['demo'];
  const source = new LocalProjectSource({
    workspacesDir: config.workspacesDir,
    projectsFile: config.projects.projectsFile,
    rescanMs: config.projects.localRescanMs,
    createDemo: false,
  });
  const snapshot = await source.load();
  return snapshot.projects.map((p) => p.name);
}
