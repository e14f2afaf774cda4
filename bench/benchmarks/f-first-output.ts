import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Benchmark, measure, row } from '../lib/report.js';

const SCRIPT = fileURLToPath(new URL('../first-output-latency.ts', import.meta.url));
const RUNS_PER_ROUND = 20;
const WARM_UP = 3;

interface Latencies {
  rdevP50: number;
  rdevP99: number;
  baselineP50: number;
  baselineP99: number;
}

/**
 * F: time from `runShell` to the first output event at a graphql-ws subscriber, measured by
 * `bench/first-output-latency.ts` (the API in that process on in-memory PGlite, alternating run by
 * run with spawning the same command directly). Each round is one run of that script.
 */
export const firstOutput: Benchmark = {
  id: 'F',
  title: 'runShell → first output event latency',
  async run(ctx) {
    const rounds: Latencies[] = [];
    for (let i = 0; i < ctx.rounds; i++) rounds.push(await runScript());
    return [
      row({
        id: 'F',
        title: 'runShell → first graphql-ws output event p50 vs spawn → first stdout byte p50',
        database: 'pglite',
        rdev: measure(
          'rdev p50',
          'ms',
          rounds.map((r) => r.rdevP50),
        ),
        anchor: measure(
          'child_process.spawn p50',
          'ms',
          rounds.map((r) => r.baselineP50),
        ),
        target: null,
        details: {
          runsPerRound: RUNS_PER_ROUND,
          rdevP99Ms: rounds.map((r) => r.rdevP99),
          baselineP99Ms: rounds.map((r) => r.baselineP99),
        },
      }),
    ];
  },
};

/** Whether the script is in this checkout. */
export const firstOutputAvailable = () => existsSync(SCRIPT);

function runScript(): Promise<Latencies> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', SCRIPT, String(RUNS_PER_ROUND), String(WARM_UP)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const numbers = (label: string) =>
        [...(out.split('\n').find((l) => l.startsWith(label)) ?? '').matchAll(/([\d.]+) ms/g)].map((m) =>
          Number(m[1]),
        );
      const rdev = numbers('rdev:');
      const baseline = numbers('baseline:');
      if (code !== 0 || rdev.length < 2 || baseline.length < 2) {
        reject(new Error(`first-output-latency.ts exited ${code} without its table:\n${out}`));
        return;
      }
      resolve({ rdevP50: rdev[0]!, rdevP99: rdev[1]!, baselineP50: baseline[0]!, baselineP99: baseline[1]! });
    });
  });
}
