// `npm run bench [-- B1 B3 ...] [--rounds N] [--profile]`: rdev against its anchors, side by side
// on this machine in one run, reported as ratios. See docs/benchmarks.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { b1 } from './benchmarks/b1-queries.js';
import { b2 } from './benchmarks/b2-fanout.js';
import { b3 } from './benchmarks/b3-replay.js';
import { b4 } from './benchmarks/b4-queue.js';
import { b5 } from './benchmarks/b5-webhooks.js';
import { b6 } from './benchmarks/b6-memory.js';
import { b7 } from './benchmarks/b7-pglite.js';
import { firstOutput, firstOutputAvailable } from './benchmarks/f-first-output.js';
import { replicas } from './benchmarks/r-replicas.js';
import { startup } from './benchmarks/s-startup.js';
import { buildForBench } from './lib/build.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { summariseProfiles } from './lib/profile-summary.js';
import type { BenchContext, Benchmark, BenchRow } from './lib/report.js';
import { fmt, spread } from './lib/stats.js';
import { formatTable } from './lib/table.js';

const BENCHMARKS: Benchmark[] = [
  b1,
  b2,
  b3,
  b4,
  b5,
  b6,
  b7,
  replicas,
  startup,
  // Its own script, kept runnable on its own; a row here when it is in the checkout.
  ...(firstOutputAvailable() ? [firstOutput] : []),
];

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    `Usage: npm run bench [-- ID...] [--rounds N] [--profile] [--skip-build]\n\n${BENCHMARKS.map((b) => `  ${b.id.padEnd(4)} ${b.title}`).join('\n')}\n\n` +
      'PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); each run uses scratch databases.\n' +
      '--profile writes CPU profiles of the rdev processes and prints their top self-time functions.\n' +
      '--skip-build reuses the last compiled copy of rdev (node_modules/.cache/rdev-bench).\n',
  );
  process.exit(0);
}

const wanted = positionals.map((p) => p.toUpperCase());
const unknown = wanted.filter((id) => !BENCHMARKS.some((b) => b.id === id));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.id).join(' ')}\n`,
  );
  process.exit(2);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 3) {
  process.stderr.write('--rounds must be a whole number of at least 3\n');
  process.exit(2);
}
const selected = wanted.length ? BENCHMARKS.filter((b) => wanted.includes(b.id)) : BENCHMARKS;

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
// Profiles are large; they stay out of the repository (their summaries go into the results).
const profileDir = values.profile ? mkdtempSync(join(tmpdir(), `rdev-bench-profiles-${stamp}-`)) : null;
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
const ctx: BenchContext = {
  postgresUrl,
  rounds,
  profileDir,
  log: (message) => process.stderr.write(`[bench ${elapsed()}] ${message}\n`),
};

if (values['skip-build']) ctx.log('using the previous build (--skip-build)');
else {
  ctx.log('compiling rdev and the benchmark processes');
  buildForBench(ctx.log);
}
const machine = await describeMachine(postgresUrl);
const tree = sourceTree();
const loadAtStart = loadAverage();
ctx.log(
  `${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}, load ${loadAtStart.join(' ')}`,
);

// Other work on the machine skews everything: keep the 1-minute load average through the run.
const loadSamples: number[] = [loadAtStart[0]];
const loadSampler = setInterval(() => loadSamples.push(loadAverage()[0]), 15_000);
loadSampler.unref();

const rows: BenchRow[] = [];
const failures: { id: string; error: string }[] = [];
const durations: Record<string, number> = {};
for (const benchmark of selected) {
  const start = performance.now();
  ctx.log(`${benchmark.id}: ${benchmark.title}`);
  try {
    rows.push(...(await benchmark.run(ctx)));
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    failures.push({ id: benchmark.id, error: message });
    ctx.log(`${benchmark.id} FAILED: ${message}`);
  }
  durations[benchmark.id] = Math.round((performance.now() - start) / 1000);
}
const loadAtEnd = loadAverage();
clearInterval(loadSampler);
loadSamples.push(loadAtEnd[0]);

const result = {
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  durationSeconds: Math.round((performance.now() - t0) / 1000),
  secondsPerBenchmark: durations,
  rounds,
  machine,
  tree,
  loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd, oneMinuteDuringRun: spread(loadSamples) },
  rows,
  failures,
  profiles: profileDir ? summariseProfiles(profileDir) : null,
};
const file = join(resultsDir, `bench-${stamp}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

process.stdout.write(
  `\nrdev ${tree.commit.slice(0, 12)}${tree.uncommitted.length ? ` + uncommitted changes in ${tree.uncommitted.length} source files` : ''}\n` +
    `rdev benchmarks: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, PostgreSQL ${machine.postgres}, PGlite ${machine.pglite}\n` +
    `load average (1 min) during the run: median ${fmt(result.loadAverage.oneMinuteDuringRun.median)}, ${fmt(result.loadAverage.oneMinuteDuringRun.min)}–${fmt(result.loadAverage.oneMinuteDuringRun.max)}; ${rounds} rounds A B A B …; ratio = rdev / anchor per round\n\n` +
    `${formatTable(rows)}\n\n`,
);
if (result.profiles) {
  for (const p of result.profiles) {
    process.stdout.write(`CPU profile ${p.file} (${p.totalMs} ms sampled): top self time\n`);
    for (const f of p.top.slice(0, 12)) {
      process.stdout.write(
        `  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}\n`,
      );
    }
  }
}
if (profileDir) process.stdout.write(`CPU profiles: ${profileDir} (open in Chrome DevTools or speedscope)\n`);
for (const f of failures) process.stdout.write(`${f.id} failed: ${f.error.split('\n')[0]}\n`);
process.stdout.write(`results: ${file} (${result.durationSeconds} s)\n`);
process.exit(failures.length > 0 ? 1 : 0);

/** The commit measured, and the source files that differed from it (work in progress). */
function sourceTree(): { commit: string; uncommitted: string[] } {
  // Not trimmed: a porcelain line starts with its status columns, a space for an unstaged change.
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' });
  try {
    const uncommitted = git('status', '--porcelain', '--', 'src', 'migrations')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    return { commit: git('rev-parse', 'HEAD').trim(), uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}
