import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settledRss } from '../lib/machine.js';
import { type Benchmark, type BenchRow, measure, row } from '../lib/report.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

/** The same thing a user runs: `npm start` is `node bin/rdev.js serve`. */
const BARE_SERVER = `require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () {
  process.stdout.write('listening on http://127.0.0.1:' + this.address().port + '\\n');
});`;

interface Started {
  child: ChildProcess;
  /** Milliseconds from spawn to the first 200 from the readiness URL. */
  readyMs: number;
  /** CPU milliseconds (user + system, its finished children included) spent by then. */
  cpuMs: number;
  output: () => string;
}

/** Spawns `node ARGS`, waits for its "listening on" line, then polls `path` until it answers 200. */
async function startUntilReady(args: string[], env: NodeJS.ProcessEnv, path: string): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = t0 + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${out}`);
    if (performance.now() > deadline) throw new Error(`not ready after 180 s:\n${out}`);
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url) {
      const ok = await fetch(`${url}${path}`).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status === 200;
        },
        () => false,
      );
      if (ok) return { child, readyMs: performance.now() - t0, cpuMs: cpuOf(child.pid!), output: () => out };
    }
    await sleep(10);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * CPU time of a running process in milliseconds: user and system, plus that of the children it has
 * waited for (the child that creates the embedded database). On a loaded machine wall time mostly
 * measures the queue for a core; CPU time is the work itself.
 */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 of proc(5) (utime, stime, cutime, cstime), in clock ticks of 10 ms.
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks) * 10, 0);
}

/** `node ARGS` to its exit: wall and CPU milliseconds (the shell's `times`); throws on a non-zero exit. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const script = '"$0" "$@" >/dev/null 2>&1; c=$?; times >&2; exit $c';
  const child = spawn('sh', ['-c', script, process.execPath, ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const wallMs = performance.now() - t0;
      // The second line of `times`: the children's user and system time, e.g. `0m1.230000s 0m0.200000s`.
      const children =
        err
          .trim()
          .split('\n')
          .at(-1)!
          .match(/(\d+)m([\d.]+)s/g) ?? [];
      const cpuMs = children.reduce((sum, t) => {
        const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
        return sum + (Number(m) * 60 + Number(sec)) * 1000;
      }, 0);
      if (code === 0) resolve({ wallMs, cpuMs });
      else reject(new Error(`node ${args.join(' ')}: ${code}\n${err}`));
    }),
  );
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

interface StartupRound {
  firstStart: Timing;
  restart: Timing;
  idleRss: number;
  keysList: Timing;
  help: Timing;
  bareServer: Timing;
  bareServerRss: number;
  bareNode: Timing;
}

/**
 * One round: `rdev serve` on a fresh data folder (creating the embedded database) and again on the
 * same folder, each timed from spawn to `/ready` answering 200, the restart's idle RSS; then the
 * CLI (`keys list` on that folder, `help`). Beside it the anchors: a bare `node:http` server timed
 * from spawn to its first 200, and `node -e 0`.
 */
async function startupRound(repo: string): Promise<StartupRound> {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-bench-startup-'));
  const bin = join(repo, 'bin', 'rdev.js');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PORT: '0',
    HOST: '127.0.0.1',
    RDEV_DATA_DIR: join(dir, 'data'),
    RDEV_WORKSPACES_DIR: join(dir, 'workspaces'),
  };
  try {
    const first = await startUntilReady([bin, 'serve'], env, '/ready');
    await stop(first.child);
    const again = await startUntilReady([bin, 'serve'], env, '/ready');
    const idleRss = await settledRss(again.child.pid!);
    await stop(again.child);
    const keysList = await timeRun([bin, 'keys', 'list'], env);
    const help = await timeRun([bin, 'help'], env);

    const bare = await startUntilReady(['-e', BARE_SERVER], env, '/');
    const bareServerRss = await settledRss(bare.child.pid!);
    await stop(bare.child);
    const bareNode = await timeRun(['-e', '0'], env);
    const timing = (s: Started): Timing => ({ wallMs: s.readyMs, cpuMs: s.cpuMs });
    return {
      firstStart: timing(first),
      restart: timing(again),
      idleRss,
      keysList,
      help,
      bareServer: timing(bare),
      bareServerRss,
      bareNode,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the start-up rounds against the checkout at `repo` (its `bin/rdev.js`) and returns the rows. */
export async function measureStartup(
  repo: string,
  rounds: number,
  log: (message: string) => void,
): Promise<BenchRow[]> {
  const results: StartupRound[] = [];
  for (let i = 0; i < rounds; i++) {
    log(`S: round ${i + 1}`);
    results.push(await startupRound(repo));
  }
  const ms = (label: string, f: (r: StartupRound) => number) =>
    measure(
      label,
      'ms',
      results.map((r) => Math.round(f(r))),
    );
  /** Two rows per measure: wall time (what a user waits) and CPU time (the work, whatever the load). */
  const timed = (
    id: string,
    title: string,
    database: BenchRow['database'],
    side: (r: StartupRound) => Timing,
    anchorLabel: string,
    anchor: (r: StartupRound) => Timing,
  ): BenchRow[] => [
    row({
      id,
      title: `${title}, wall`,
      database,
      rdev: ms('wall', (r) => side(r).wallMs),
      anchor: ms(anchorLabel, (r) => anchor(r).wallMs),
      target: null,
    }),
    row({
      id: `${id}-cpu`,
      title: `${title}, CPU`,
      database,
      rdev: ms('CPU', (r) => side(r).cpuMs),
      anchor: ms(`${anchorLabel}, CPU`, (r) => anchor(r).cpuMs),
      target: null,
    }),
  ];
  const server = 'bare node:http server, spawn → 200';
  return [
    ...timed(
      'S-first',
      'npm start, fresh data folder: spawn → /ready 200',
      'pglite',
      (r) => r.firstStart,
      server,
      (r) => r.bareServer,
    ),
    ...timed(
      'S-restart',
      'npm start again: spawn → /ready 200',
      'pglite',
      (r) => r.restart,
      server,
      (r) => r.bareServer,
    ),
    row({
      id: 'S-rss',
      title: 'idle RSS after a restart vs a bare node:http server',
      database: 'pglite',
      rdev: measure(
        'rdev idle RSS',
        'MB',
        results.map((r) => r.idleRss / MB),
      ),
      anchor: measure(
        'bare server RSS',
        'MB',
        results.map((r) => r.bareServerRss / MB),
      ),
      target: null,
    }),
    ...timed(
      'S-keys',
      'rdev keys list (embedded database): spawn → exit',
      'pglite',
      (r) => r.keysList,
      'node -e 0',
      (r) => r.bareNode,
    ),
    ...timed(
      'S-help',
      'rdev help: spawn → exit',
      'none',
      (r) => r.help,
      'node -e 0',
      (r) => r.bareNode,
    ),
  ];
}

/** S: how long `npm start` and the CLI take to be useful, against bare Node doing nothing. */
export const startup: Benchmark = {
  id: 'S',
  title: 'start-up: npm start to /ready, idle RSS, CLI calls',
  run: (ctx) => measureStartup(REPO, ctx.rounds, ctx.log),
};
