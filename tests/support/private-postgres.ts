import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server of the test's own (data folder, port), so a test can stop, pause and restart
 * it under load without disturbing any other test. Uses the machine's PostgreSQL binaries; as
 * root it runs them as the `postgres` user, since PostgreSQL refuses to run as root.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** SIGSTOP / SIGCONT of the postmaster and its backends: a server that hangs rather than dies. */
  pause(): void;
  resume(): void;
  destroy(): void;
}

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort().reverse();
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin');
  return null;
}

export const PRIVATE_POSTGRES_AVAILABLE = binDir() !== null;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries were not found under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'rdev-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const pw = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
    chownSync(dir, Number(pw), Number(gid));
    chmodSync(dir, 0o700);
  }
  const run = (args: string[], check = true) => {
    const cmd = asRoot ? 'runuser' : args[0]!;
    const argv = asRoot ? ['-u', 'postgres', '--', ...args] : args.slice(1);
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
    if (check && r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r;
  };
  run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const pgCtl = (action: string[]) => run([join(bin, 'pg_ctl'), '-D', data, '-w', '-t', '60', ...action]);
  const start = () => pgCtl(['-o', opts, '-l', join(dir, 'log'), 'start']);
  start();
  // The postmaster's pid file, then its children (backends, walwriter, ...): pgrep -f cannot be
  // given the data folder as a pattern, which starts with "-D".
  const pids = (): number[] => {
    const pidFile = join(data, 'postmaster.pid');
    if (!existsSync(pidFile)) return [];
    const master = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(master) || master <= 0) return [];
    const children = spawnSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [master, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    const all = pids();
    if (all.length === 0) throw new Error(`no PostgreSQL process found for ${data}`);
    for (const pid of all) process.kill(pid, signal);
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => void pgCtl(['-m', 'fast', 'stop']),
    start: () => void start(),
    pause: () => signalAll('SIGSTOP'),
    resume: () => signalAll('SIGCONT'),
    destroy: () => {
      for (const pid of pids()) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      run([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'], false);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
