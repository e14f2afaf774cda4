#!/usr/bin/env node
// Runs the process-kill fault suite once per seed, one after another, and prints each seed's
// outcome and time, then a summary. A seed that failed can be replayed alone with
// `RDEV_FAULT_SEED=<seed> npm run test:faults -- tests/faults/process-kill.fault.ts`.
//
//   npm run test:faults:seeds -- 20              20 runs with seeds drawn from the clock
//   npm run test:faults:seeds -- 5 518501        5 runs of seed 518501
//   npm run test:faults:seeds -- 0 1 2 3         one run each of seeds 1, 2 and 3
//
// Needs RDEV_TEST_DATABASE_URL (a PostgreSQL server), as the suite does.
import { spawnSync } from 'node:child_process';

const [countArg, ...seedArgs] = process.argv.slice(2);
const count = Number(countArg ?? 10);
if (!Number.isInteger(count) || count < 0 || seedArgs.some((s) => !/^\d+$/.test(s))) {
  console.error('usage: npm run test:faults:seeds -- COUNT [SEED...]');
  process.exit(2);
}
if (!process.env.RDEV_TEST_DATABASE_URL) {
  console.error('RDEV_TEST_DATABASE_URL is not set: the process-kill suite needs PostgreSQL (see README).');
  process.exit(2);
}
const seeds =
  seedArgs.length === 0
    ? Array.from({ length: count }, (_, i) => (Date.now() + i * 7919) % 1_000_000)
    : seedArgs.length === 1 && count > 0
      ? Array.from({ length: count }, () => Number(seedArgs[0]))
      : seedArgs.map(Number);

const results = [];
for (const [i, seed] of seeds.entries()) {
  const started = Date.now();
  const run = spawnSync(
    'npx',
    ['vitest', 'run', '--config', 'vitest.faults.config.ts', 'tests/faults/process-kill.fault.ts'],
    { env: { ...process.env, RDEV_FAULT_SEED: String(seed) }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  const passed = run.status === 0;
  results.push({ seed, passed, seconds });
  console.log(`${i + 1}/${seeds.length} seed ${seed}: ${passed ? 'passed' : 'FAILED'} in ${seconds} s`);
  if (!passed) {
    // What the suite said was wrong: the failure and what was still wrong when it timed out.
    const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    const from = output.indexOf('Failed Tests');
    console.log((from >= 0 ? output.slice(from, from + 6000) : output.slice(-6000)).trimEnd());
  }
}
const failed = results.filter((r) => !r.passed);
console.log(
  `${results.length - failed.length} of ${results.length} seeds passed${failed.length ? `; failed: ${failed.map((r) => r.seed).join(', ')}` : ''}`,
);
process.exit(failed.length === 0 ? 0 : 1);
