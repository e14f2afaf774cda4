// Time from `runShell` to the first output event reaching a graphql-ws subscriber, against the
// same command spawned directly with child_process (time to its first stdout byte).
//
//   npx tsx bench/first-output-latency.ts [runs] [warm-up runs]
//
// Local runtime, in-memory PGlite, the API in this process (a real HTTP server and a real
// graphql-ws client over loopback). Runs alternate between rdev and the baseline so that machine
// load affects both alike. A benchmark, not a test: numbers depend on the machine.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';

const runs = Number(process.argv[2] ?? 200);
const warmUp = Number(process.argv[3] ?? 10);
const ARGV = ['sh', '-c', 'echo first-output'];

const dir = mkdtempSync(join(tmpdir(), 'rdev-bench-latency-'));
const workspace = join(dir, 'workspaces', 'bench');
mkdirSync(workspace, { recursive: true });
const config = loadConfig({
  PORT: '0',
  DATABASE_URL: 'memory://',
  RDEV_DATA_DIR: join(dir, 'data'),
  RDEV_WORKSPACES_DIR: join(dir, 'workspaces'),
  RDEV_LOG_LEVEL: 'warn',
  RDEV_RATE_LIMIT_PER_KEY: '10000000',
});
const quiet = new Writable({ write: (_chunk, _enc, cb) => cb() });
const app = await createApp(config, { logger: createLogger({ level: 'warn', destination: quiet }) });
const { url } = await app.start();
const key = app.bootstrapAdminKey!;
const client = createClient({
  url: `${url.replace('http', 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${key}` },
  lazy: false,
});

async function rdevOnce(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      query: `mutation($argv: [String!]) { runShell(input: { projectName: "bench", argv: $argv }) {
        __typename ... on RunCommandPayload { command { id } } ... on Error { message } } }`,
      variables: { argv: ARGV },
    }),
  });
  const body = (await res.json()) as any;
  const id = body.data?.runShell?.command?.id;
  if (!id) throw new Error(`runShell failed: ${JSON.stringify(body)}`);
  return new Promise((resolve, reject) => {
    let first: number | null = null;
    client.subscribe<{ commandOutput: { stream: string } }>(
      {
        query: 'subscription($id: ID!) { commandOutput(commandId: $id) { seq stream end { status } } }',
        variables: { id },
      },
      {
        next: (r) => {
          if (first === null && r.data?.commandOutput.stream === 'STDOUT')
            first = performance.now() - started;
        },
        error: reject,
        // Wait for the end too, so runs do not overlap.
        complete: () => (first === null ? reject(new Error('no output')) : resolve(first)),
      },
    );
  });
}

function baselineOnce(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(ARGV[0]!, ARGV.slice(1), { cwd: workspace, stdio: ['ignore', 'pipe', 'ignore'] });
    let first: number | null = null;
    child.stdout.once('data', () => {
      first = performance.now() - started;
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('close', () => (first === null ? reject(new Error('no output')) : resolve(first)));
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

for (let i = 0; i < warmUp; i++) {
  await rdevOnce();
  await baselineOnce();
}
const rdev: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < runs; i++) {
  rdev.push(await rdevOnce());
  baseline.push(await baselineOnce());
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const rows = [
  ['', 'p50', 'p99', 'mean'],
  ['rdev: runShell → first graphql-ws event', ...summary(rdev)],
  ['baseline: spawn → first stdout byte', ...summary(baseline)],
  [
    'ratio',
    `${(percentile(rdev, 50) / percentile(baseline, 50)).toFixed(1)}×`,
    `${(percentile(rdev, 99) / percentile(baseline, 99)).toFixed(1)}×`,
    `${(mean(rdev) / mean(baseline)).toFixed(1)}×`,
  ],
];
function mean(values: number[]) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
function summary(values: number[]) {
  return [ms(percentile(values, 50)), ms(percentile(values, 99)), ms(mean(values))];
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(
  `first-output latency, ${runs} runs (+${warmUp} warm-up) each, local runtime, in-memory PGlite; ` +
    `${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
for (const r of rows)
  console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));

await client.dispose();
await app.stop();
await app.database.close();
rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
