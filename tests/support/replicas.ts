import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { type RdevProcess, startRdev } from './rdev-process.js';
import { createScratchPostgres } from './test-databases.js';

/** Several real `rdev serve` processes on one PostgreSQL database and one workspaces folder. */
export interface ReplicaCluster {
  url: string;
  adminKey: string;
  workspaces: string;
  replicas: RdevProcess[];
  sql: pg.Pool;
  start(extraEnv?: Record<string, string>): Promise<RdevProcess>;
  graphql(
    replica: RdevProcess,
    query: string,
    variables?: Record<string, unknown>,
    key?: string,
  ): Promise<any>;
  close(): Promise<void>;
}

export async function startReplicaCluster(options: {
  count: number;
  projects: Record<string, Record<string, unknown>>;
  env?: Record<string, string>;
}): Promise<ReplicaCluster> {
  const scratch = await createScratchPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'rdev-replicas-'));
  const workspaces = join(dir, 'workspaces');
  mkdirSync(workspaces);
  let yaml = '';
  for (const [name, settings] of Object.entries(options.projects)) {
    mkdirSync(join(workspaces, name));
    yaml += `${name}:\n${Object.entries(settings)
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
      .join('\n')}\n`;
  }
  writeFileSync(join(workspaces, 'rdev-projects.yaml'), yaml);
  const adminKey = generateKeyText();
  const sql = new pg.Pool({ connectionString: scratch.url, max: 2 });
  // Dropping the database at the end ends idle connections; that is expected, not an error.
  sql.on('error', () => {});
  const replicas: RdevProcess[] = [];
  let n = 0;
  const cluster: ReplicaCluster = {
    url: scratch.url,
    adminKey,
    workspaces,
    replicas,
    sql,
    async start(extraEnv = {}) {
      const i = n++;
      const replica = await startRdev({
        DATABASE_URL: scratch.url,
        RDEV_WORKSPACES_DIR: workspaces,
        RDEV_DATA_DIR: join(dir, `data-${i}`),
        RDEV_BOOTSTRAP_ADMIN_KEY: adminKey,
        RDEV_LOG_LEVEL: 'warn',
        ...options.env,
        ...extraEnv,
      });
      replicas.push(replica);
      return replica;
    },
    async graphql(replica, query, variables = {}, key = adminKey) {
      const res = await fetch(`${replica.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any };
    },
    async close() {
      for (const r of replicas) {
        if (r.child.exitCode === null && r.child.signalCode === null) {
          r.child.kill('SIGTERM');
          await Promise.race([r.exited, new Promise((res) => setTimeout(res, 10_000))]);
          r.child.kill('SIGKILL');
        }
      }
      await sql.end();
      await scratch.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Migrations and bootstrap serialise between replicas starting together.
  await Promise.all(Array.from({ length: options.count }, () => cluster.start()));
  return cluster;
}
