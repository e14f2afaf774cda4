import { randomUUID } from 'node:crypto';
import { migrations } from '../../migrations/index.js';
import { openDatabase } from '../../src/adapters/postgres/database.js';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.js';
import type { RdevSite } from './rdev-site.js';

/** The project the seeded command belongs to; sites that seed must create it. */
export const SEED_PROJECT = 'bench';

/** About 100 bytes, like a line of build or test output. */
const LINE_SQL = `'line ' || g || ' of the benchmark output: ' || repeat('.', 64) || E'\\n'`;

type Exec = (text: string, params: unknown[]) => Promise<unknown>;

/**
 * A finished SHELL command with `events` stored output events and its end event, written
 * straight into the tables (the migrations fix their shape), so a replay benchmark need not wait
 * for a command to print them. Returns the command's id. PGlite must not be open in rdev yet.
 */
export async function seedFinishedCommand(site: RdevSite, events: number): Promise<string> {
  const id = randomUUID();
  const handle = await openDatabase(
    site.databaseUrl
      ? { kind: 'postgres', url: site.databaseUrl, poolSize: 1 }
      : { kind: 'pglite', dataDir: site.pgliteDir },
  );
  try {
    // rdev would migrate on start; the rows need the tables now.
    await migrateToLatest(handle.db, migrations);
    const exec: Exec = handle.pglite
      ? (text, params) => handle.pglite!.query(text, params)
      : (text, params) => handle.pool!.query(text, params);
    await insert(exec, id, events);
  } finally {
    await handle.close();
  }
  return id;
}

async function insert(exec: Exec, id: string, events: number): Promise<void> {
  await exec(
    `INSERT INTO commands (id, project_name, type, status, priority, argv, timeout_seconds, request_hash,
       created_at, started_at, finished_at, exit_code, last_seq, stored_bytes)
     VALUES ($1, $2, 'SHELL', 'SUCCEEDED', 50, ARRAY['sh', '-c', 'benchmark output'], 3600, 'bench',
       now(), now(), now(), 0, $3, $4)`,
    [id, SEED_PROJECT, events + 1, events * 100],
  );
  await exec(
    `INSERT INTO command_output (command_id, seq, stream, data, at)
     SELECT $1, g, 'STDOUT', ${LINE_SQL}, now() FROM generate_series(1, $2::int) g`,
    [id, events],
  );
  await exec(
    `INSERT INTO command_output (command_id, seq, stream, data, "end", at)
     VALUES ($1, $2, 'SYSTEM', E'command succeeded (exit code 0)\\n', $3::jsonb, now())`,
    [id, events + 1, JSON.stringify({ status: 'SUCCEEDED', exitCode: 0, signal: null, error: null })],
  );
  await exec('ANALYZE command_output', []);
}

/** The Relay global id of a command, as GraphQL takes it. */
export function commandGlobalId(id: string): string {
  return Buffer.from(`Command:${id}`).toString('base64');
}
