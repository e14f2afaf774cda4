import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { RDEV_CLI } from './build.js';
import { rssOf } from './machine.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Settings every benchmarked rdev runs with: production mode, quiet logs, and limits raised far
 * above the load so that the rate limiter and subscription caps are measured working, not refusing.
 */
export const BENCH_RDEV_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  RDEV_LOG_LEVEL: 'warn',
  RDEV_RATE_LIMIT_PER_KEY: '10000000',
  RDEV_RATE_LIMIT_ANONYMOUS: '10000000',
  RDEV_MAX_SUBSCRIPTIONS_PER_KEY: '100000',
  RDEV_WEBHOOK_ALLOW_PRIVATE: 'true',
};

/** One real `rdev serve` process. */
export interface RdevServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly pid: number;
  readonly label: string;
  /** POST /graphql; throws on HTTP or GraphQL errors. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<T>;
  rss(): number;
  /** SIGTERM and wait; a CPU profile (when asked for) is written as the process exits. */
  stop(): Promise<void>;
}

/**
 * A place to run rdev: a scratch PostgreSQL database (or a PGlite data folder), a workspaces folder
 * with projects, and the admin key. Several servers may run on one site (replicas).
 */
export interface RdevSite {
  readonly kind: 'postgres' | 'pglite';
  readonly adminKey: string;
  readonly workspaces: string;
  /** PostgreSQL: the scratch database's URL. */
  readonly databaseUrl: string | null;
  /** PGlite: the folder rdev opens (`<RDEV_DATA_DIR>/pglite`). */
  readonly pgliteDir: string | null;
  /** PostgreSQL: a small pool on the scratch database, for setup and sampling. */
  readonly sql: pg.Pool | null;
  readonly servers: RdevServer[];
  start(label: string, env?: Record<string, string>): Promise<RdevServer>;
  close(): Promise<void>;
}

export interface SiteOptions {
  kind: 'postgres' | 'pglite';
  postgresUrl: string;
  /** Project folders to create, with their settings in rdev-projects.yaml. */
  projects: Record<string, Record<string, unknown>>;
  /** Where CPU profiles go; null: no profiling. */
  profileDir: string | null;
}

export async function createRdevSite(options: SiteOptions): Promise<RdevSite> {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-bench-'));
  const workspaces = join(dir, 'workspaces');
  const dataDir = join(dir, 'data');
  mkdirSync(workspaces);
  mkdirSync(dataDir);
  let yaml = '';
  for (const [name, settings] of Object.entries(options.projects)) {
    mkdirSync(join(workspaces, name));
    const lines = Object.entries(settings).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
    yaml += lines.length ? `${name}:\n${lines.join('\n')}\n` : '';
  }
  writeFileSync(join(workspaces, 'rdev-projects.yaml'), yaml);
  const adminKey = generateKeyText();
  let databaseUrl: string | null = null;
  let drop: (() => Promise<void>) | null = null;
  if (options.kind === 'postgres') {
    const scratch = await createScratchDatabase(options.postgresUrl);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const sql = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: 3 }) : null;
  const servers: RdevServer[] = [];
  return {
    kind: options.kind,
    adminKey,
    workspaces,
    databaseUrl,
    pgliteDir: options.kind === 'pglite' ? join(dataDir, 'pglite') : null,
    sql,
    servers,
    async start(label, env = {}) {
      const server = await startRdevServer({
        label,
        adminKey,
        profileDir: options.profileDir,
        env: {
          ...BENCH_RDEV_ENV,
          RDEV_WORKSPACES_DIR: workspaces,
          // Replicas on PostgreSQL keep their local state apart; PGlite's folder is the database.
          RDEV_DATA_DIR: options.kind === 'pglite' ? dataDir : join(dir, `data-${servers.length}`),
          RDEV_BOOTSTRAP_ADMIN_KEY: adminKey,
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          ...env,
        },
      });
      servers.push(server);
      return server;
    },
    async close() {
      await Promise.all(servers.map((s) => s.stop()));
      await sql?.end();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A database of its own on the PostgreSQL server, dropped (forcibly) afterwards. */
export async function createScratchDatabase(
  postgresUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rdev_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let profiled = 0;

async function startRdevServer(options: {
  label: string;
  adminKey: string;
  env: Record<string, string>;
  profileDir: string | null;
}): Promise<RdevServer> {
  const nodeArgs = options.profileDir
    ? // One folder per process: the module loader thread writes a profile of its own.
      ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, `${options.label}-${++profiled}`)}`]
    : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, RDEV_CLI, 'serve'], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
    if (out.length > 1_000_000) out = out.slice(-100_000);
  });
  child.stderr!.on('data', (d) => {
    err += d;
    if (err.length > 1_000_000) err = err.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rdev did not start:\n${out}\n${err}`)), 120_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`rdev exited early:\n${out}\n${err}`));
    });
  });
  const graphql = async (query: string, variables: Record<string, unknown> = {}, key?: string | null) => {
    const auth: Record<string, string> =
      key === null ? {} : { authorization: `Bearer ${key ?? options.adminKey}` };
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (res.status !== 200 || body.errors) {
      throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
    }
    return body.data;
  };
  let stopping: Promise<void> | null = null;
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    pid: child.pid!,
    label: options.label,
    graphql,
    rss: () => rssOf(child.pid!),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
