import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rssOf } from '../lib/machine.js';
import { type Benchmark, type BenchRow, measure, row } from '../lib/report.js';
import { median } from '../lib/stats.js';

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
      if (ok) return { child, readyMs: performance.now() - t0, output: () => out };
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

/** Milliseconds from spawn to exit of `node ARGS`; throws on a non-zero exit. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`node ${args.join(' ')}: ${code}\n${err}`)),
    ),
  );
}

/** RSS settled: the median of a few samples a little apart. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(200);
    samples.push(rssOf(pid));
  }
  return median(samples);
}

interface StartupRound {
  firstStart: number;
  restart: number;
  idleRss: number;
  keysList: number;
  help: number;
  bareServer: number;
  bareServerRss: number;
  bareNode: number;
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
    return {
      firstStart: first.readyMs,
      restart: again.readyMs,
      idleRss,
      keysList,
      help,
      bareServer: bare.readyMs,
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
  const bareServer = ms('bare node:http server, spawn → 200', (r) => r.bareServer);
  const bareNode = ms('node -e 0', (r) => r.bareNode);
  return [
    row({
      id: 'S-first',
      title: 'npm start on a fresh data folder: spawn → /ready 200',
      database: 'pglite',
      rdev: ms('first start', (r) => r.firstStart),
      anchor: bareServer,
      target: null,
    }),
    row({
      id: 'S-restart',
      title: 'npm start again (data folder exists): spawn → /ready 200',
      database: 'pglite',
      rdev: ms('restart', (r) => r.restart),
      anchor: bareServer,
      target: null,
    }),
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
    row({
      id: 'S-keys',
      title: 'rdev keys list (embedded database): spawn → exit',
      database: 'pglite',
      rdev: ms('keys list', (r) => r.keysList),
      anchor: bareNode,
      target: null,
    }),
    row({
      id: 'S-help',
      title: 'rdev help: spawn → exit',
      database: 'none',
      rdev: ms('help', (r) => r.help),
      anchor: bareNode,
      target: null,
    }),
  ];
}

/** S: how long `npm start` and the CLI take to be useful, against bare Node doing nothing. */
export const startup: Benchmark = {
  id: 'S',
  title: 'start-up: npm start to /ready, idle RSS, CLI calls',
  run: (ctx) => measureStartup(REPO, ctx.rounds, ctx.log),
};
