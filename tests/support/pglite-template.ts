import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './rdev-process.js';

/**
 * A migrated PGlite data directory, as a tarball on disk. Creating a PGlite database runs initdb
 * (seconds of WebAssembly, and far more on a busy machine); loading a tarball skips it. The vitest
 * global setup writes it once per run, named after the migrations and the PGlite version so a
 * changed migration gets a new one; each test file then loads it instead of running initdb.
 */
export function pgliteTemplatePath(): string {
  const hash = createHash('sha256');
  const dir = join(REPO_ROOT, 'migrations');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  hash.update(readFileSync(join(REPO_ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json')));
  return join(tmpdir(), `rdev-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

/** The template's bytes, or null when the global setup has not written it. */
export function readPgliteTemplate(): Blob | null {
  const path = pgliteTemplatePath();
  return existsSync(path) ? new Blob([readFileSync(path)]) : null;
}

/** vitest global setup: writes the template when it is missing. */
export default async function writePgliteTemplate(): Promise<void> {
  const path = pgliteTemplatePath();
  if (existsSync(path)) return;
  const [{ migrations }, { openDatabase }, { migrateToLatest }] = await Promise.all([
    import('../../migrations/index.js'),
    import('../../src/adapters/postgres/database.js'),
    import('../../src/adapters/postgres/migrator.js'),
  ]);
  const handle = await openDatabase({ kind: 'pglite', dataDir: null });
  await migrateToLatest(handle.db, migrations);
  const tar = await handle.pglite!.dumpDataDir('none');
  await handle.close();
  // Written beside, then renamed: two runs at once never read half a file.
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, Buffer.from(await tar.arrayBuffer()));
  renameSync(partial, path);
}
