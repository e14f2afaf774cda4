import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, type LogEvent, PostgresDialect, type QueryId, sql } from 'kysely';
import pg from 'pg';
import { lockDataFolder } from './data-folder-lock.js';
import { connectionFailure, withoutPassword } from './database-errors.js';
import type { Database } from './schema.js';

export type DatabaseKind = 'pglite' | 'postgres';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | {
      kind: 'pglite';
      dataDir: string | null /* null: in memory */;
      from?: PGlite /* an open instance to adopt */;
      /**
       * For a process that runs a few queries and exits (the CLI): a 16 MB buffer cache instead of
       * 128 MB, which PGlite clears at start (about a quarter of its start-up CPU).
       */
      shortLived?: boolean;
    };

/** One Kysely instance over PGlite or PostgreSQL, plus what the rest of the adapters need to know. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** The PGlite instance when embedded (it also delivers LISTEN/NOTIFY in-process). */
  pglite: PGlite | null;
  /** The pg pool when on PostgreSQL. */
  pool: pg.Pool | null;
  /** Connection settings for extra dedicated connections (LISTEN) on PostgreSQL. */
  url: string | null;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Calls `listener` for every query that fails, on any Kysely built from `db` (plugins cannot see
   * failures). Returns the function that stops it.
   */
  onQueryError(listener: QueryErrorListener): () => void;
}

export type QueryErrorListener = (queryId: QueryId, error: unknown) => void;

// Timestamps come back as Date and bigint ids as strings; int8 counts are parsed to numbers where the
// query casts them (::int). Keep pg's defaults apart from that.
export interface DatabaseObserver {
  /** Called after every query with its duration; `failed` when it threw. */
  onQuery(seconds: number, failed: boolean): void;
}

function kyselyLog(observer: DatabaseObserver | undefined, errorListeners: Set<QueryErrorListener>) {
  return (event: LogEvent) => {
    observer?.onQuery(event.queryDurationMillis / 1000, event.level === 'error');
    if (event.level === 'error') {
      for (const listener of errorListeners) listener(event.query.queryId, event.error);
    }
  };
}

export async function openDatabase(
  target: DatabaseTarget,
  observer?: DatabaseObserver,
): Promise<DatabaseHandle> {
  const errorListeners = new Set<QueryErrorListener>();
  const onQueryError = (listener: QueryErrorListener) => {
    errorListeners.add(listener);
    return () => void errorListeners.delete(listener);
  };
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A query that hangs (server paused, network gone) must not hang the request forever.
      query_timeout: 30_000,
      application_name: 'rdev',
    });
    // A client losing its connection (server restart, terminated backend) emits 'error': on the
    // pool while idle, on the client itself while checked out between two statements of a
    // transaction. Unheard, either crashes the process. The statement in flight or the next one
    // fails with the reason, and the pool discards the broken client when it is released.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      log: kyselyLog(observer, errorListeners),
    });
    return {
      db,
      kind: 'postgres',
      pglite: null,
      pool,
      url: target.url,
      ping: async () => {
        await sql`SELECT 1`.execute(db);
      },
      close: () => db.destroy(),
      onQueryError,
    };
  }
  // One process at a time in a data folder (see data-folder-lock.ts); the lock sits beside the
  // folder, since initdb wants the folder to itself.
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const lock =
    target.dataDir && !target.from ? lockDataFolder(target.dataDir, `${target.dataDir}.lock`) : null;
  let pglite: PGlite;
  let PGliteDialect: typeof import('kysely-pglite-dialect').PGliteDialect;
  try {
    // Loaded only for the embedded database: a process on PostgreSQL has no use for PGlite.
    const [{ PGlite }, dialect] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    PGliteDialect = dialect.PGliteDialect;
    if (target.dataDir && !target.from && !existsSync(join(target.dataDir, 'PG_VERSION')))
      await createCluster(target.dataDir);
    const options = target.shortLived
      ? { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] }
      : {};
    pglite = target.from ?? (target.dataDir ? new PGlite(target.dataDir, options) : new PGlite(options));
    await pglite.waitReady;
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new Kysely<Database>({
    dialect: new PGliteDialect(pglite),
    log: kyselyLog(observer, errorListeners),
  });
  let closed = false;
  return {
    db,
    kind: 'pglite',
    pglite,
    pool: null,
    url: null,
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
    onQueryError,
  };
}

/** What opening `target` does, for a start-up that says what it waits for. */
export function describeOpening(target: DatabaseTarget): string {
  if (target.kind === 'postgres') return `connecting to PostgreSQL at ${withoutPassword(target.url)}`;
  if (target.from || !target.dataDir) return 'starting the in-memory embedded database';
  if (existsSync(join(target.dataDir, 'PG_VERSION')))
    return `opening the embedded database at ${target.dataDir}`;
  return `creating the embedded database at ${target.dataDir} (first start only; this takes a while)`;
}

/**
 * Opens `target` and, on PostgreSQL, checks that it answers (the pool connects lazily), so that a
 * wrong URL stops a start with what is wrong and the name of the `setting` it came from rather
 * than a bare socket error at the first query.
 */
export async function openReachableDatabase(
  target: DatabaseTarget,
  setting: string,
): Promise<DatabaseHandle> {
  const database = await openDatabase(target);
  if (target.kind !== 'postgres') return database;
  try {
    await database.ping();
  } catch (error) {
    await database.close();
    throw new Error(
      `cannot connect to the database in ${setting} (${withoutPassword(target.url)}): ${connectionFailure(error, target.url)}. Check that PostgreSQL runs there and ${setting} is right, or unset ${setting} to use the embedded database.`,
    );
  }
  return database;
}

/**
 * Creates the embedded database's files in a short-lived process. The instance that runs initdb
 * keeps about twice the memory of one that opens existing files (some 780 MB of RSS against 300
 * here), and the process that created it would hold that until a garbage collection it cannot
 * force; this way the server only ever opens.
 */
async function createCluster(dataDir: string): Promise<void> {
  const pgliteUrl = import.meta.resolve('@electric-sql/pglite');
  const script = `const { PGlite } = await import(${JSON.stringify(pgliteUrl)});
const db = new PGlite(process.argv[1]);
await db.waitReady;
await db.close();`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `could not create the embedded database in ${dataDir} (${signal ?? `exit code ${code}`}): ${stderr.trim().slice(-2000)}`,
          ),
        );
    });
  });
}
