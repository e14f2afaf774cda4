import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchPostgres, POSTGRES_URL } from '../support/test-databases.js';

const DATABASE_MODULE = new URL('../../src/adapters/postgres/database.ts', import.meta.url).href;

// In a process of its own: an unheard 'error' event ends the process, which is what is tested.
const SCRIPT = `
import { sql } from 'kysely';
import pg from 'pg';
const { openDatabase } = await import(${JSON.stringify(DATABASE_MODULE)});
const url = process.argv[1];
const database = await openDatabase({ kind: 'postgres', url });
const admin = new pg.Client({ connectionString: url });
await admin.connect();
// What a server shutdown does to every backend: a FATAL message while the client sits checked out
// between two statements, with no query of its own in flight.
const outcome = await database.db
  .transaction()
  .execute(async (tx) => {
    const { rows } = await sql\`SELECT pg_backend_pid() AS pid\`.execute(tx);
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sql\`SELECT 1\`.execute(tx);
    return 'committed';
  })
  .catch((error) => 'failed: ' + error.message);
await database.ping();
await admin.end();
await database.close();
console.log(JSON.stringify({ outcome, nextQuery: 'ok' }));
`;

describe.runIf(POSTGRES_URL)('a PostgreSQL connection lost in the middle of a transaction', () => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => drop?.());

  it('fails that transaction with the reason, keeps the process alive and serves the next query', async () => {
    const scratch = await createScratchPostgres();
    drop = scratch.drop;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, scratch.url],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(result.outcome).toMatch(/^failed: .*(terminat|connection)/i);
    expect(result.nextQuery).toBe('ok');
  });
});
