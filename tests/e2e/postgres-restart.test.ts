import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { readinessProblems } from '../support/fault-checks.js';
import {
  PRIVATE_POSTGRES_AVAILABLE,
  type PrivatePostgres,
  startPrivatePostgres,
} from '../support/private-postgres.js';
import { type RdevProcess, startRdev } from '../support/rdev-process.js';
import { sleep, until } from '../support/wait.js';

async function readyStatus(replica: RdevProcess): Promise<number> {
  try {
    return (await fetch(`${replica.url}/ready`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

/** What each replica answers on /ready, whether it is still running, and the end of its stderr. */
async function describeReplicas(replicas: RdevProcess[]): Promise<string> {
  const lines = await Promise.all(
    replicas.map(async (r, i) => {
      const gone = r.child.exitCode !== null || r.child.signalCode !== null;
      const state = gone
        ? `exited (${r.child.exitCode ?? r.child.signalCode})`
        : `ready ${await readyStatus(r)}`;
      return `replica ${i}: ${state}\n${r.stderr().slice(-3000)}`;
    }),
  );
  return `\n${lines.join('\n')}`;
}

describe.runIf(PRIVATE_POSTGRES_AVAILABLE || process.env.CI)(
  'PostgreSQL restarting under running commands',
  () => {
    let server: PrivatePostgres | undefined;
    let replicas: RdevProcess[] = [];
    let dir = '';
    afterEach(async () => {
      for (const r of replicas) r.child.kill('SIGKILL');
      replicas = [];
      server?.destroy();
      server = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('makes replicas not ready, then they recover on their own, losing no output and starting nothing twice', async () => {
      server = await startPrivatePostgres();
      dir = mkdtempSync(join(tmpdir(), 'rdev-pgrestart-'));
      const workspaces = join(dir, 'ws');
      mkdirSync(join(workspaces, 'omega'), { recursive: true });
      const marker = join(dir, 'starts');
      const adminKey = generateKeyText();
      const env = {
        DATABASE_URL: server.url,
        RDEV_WORKSPACES_DIR: workspaces,
        RDEV_BOOTSTRAP_ADMIN_KEY: adminKey,
        RDEV_LEASE_TTL_MS: '3000',
        RDEV_LOG_LEVEL: 'error',
      };
      replicas.push(await startRdev({ ...env, RDEV_DATA_DIR: join(dir, 'd0') }));
      replicas.push(await startRdev({ ...env, RDEV_DATA_DIR: join(dir, 'd1') }));
      const res = await fetch(`${replicas[0]!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({
          query: `mutation($s: String!) { runShell(input: { projectName: "omega", script: $s }) { ... on RunCommandPayload { command { id } } } }`,
          variables: {
            s: `echo started >> '${marker}'; i=0; while [ $i -lt 120 ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done`,
          },
        }),
      });
      const globalId = ((await res.json()) as any).data.runShell.command.id as string;
      const id = Buffer.from(globalId, 'base64').toString().split(':')[1]!;
      await sleep(2_500);

      server.stop();
      await until(
        () =>
          readinessProblems(
            replicas.map((r) => r.url),
            503,
          ),
        15_000,
        'not ready',
        () => describeReplicas(replicas),
      );
      // Requests fail fast with a code a client can act on, not a masked internal error.
      const askedAt = Date.now();
      const down = await fetch(`${replicas[1]!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ query: '{ apiKeys { edges { node { id } } } }' }),
      });
      expect(Date.now() - askedAt).toBeLessThan(10_000);
      const downBody = (await down.json()) as any;
      expect(downBody.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(down.status).not.toBe(500);
      server.start();
      await until(
        () =>
          readinessProblems(
            replicas.map((r) => r.url),
            200,
          ),
        30_000,
        'ready again',
        () => describeReplicas(replicas),
      );

      const sql = new pg.Pool({ connectionString: server.url, max: 1 });
      try {
        await until(
          async () =>
            (await sql.query('SELECT status FROM commands WHERE id = $1', [id])).rows[0]?.status ===
            'SUCCEEDED',
          30_000,
          'the command to succeed',
        );
        const out = await sql.query(
          `SELECT string_agg(data, '' ORDER BY seq) AS text, count(*) FILTER (WHERE "end" IS NOT NULL)::int AS ends
         FROM command_output WHERE command_id = $1 AND stream IN ('STDOUT', 'SYSTEM')`,
          [id],
        );
        const text = (out.rows[0].text as string).replace(/^command .*\n$/m, '');
        expect(text).toBe(Array.from({ length: 120 }, (_, i) => `tick ${i}\n`).join(''));
        expect(out.rows[0].ends).toBe(1);
        expect(readFileSync(marker, 'utf8')).toBe('started\n');
      } finally {
        await sql.end();
      }
    });
  },
);
