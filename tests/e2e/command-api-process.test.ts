import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { joinStdout, type OutputEvent, plainId } from '../support/command-test-app.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { type RdevProcess, startRdev } from '../support/rdev-process.js';
import { killRunGroups, WORKSPACE_PATH_VAR } from '../support/runtime-harness.js';
import { openCommandStream } from '../support/sse-client.js';
import { waitFor } from '../support/wait.js';

const MB = 1024 * 1024;
const OUTPUT = `subscription($id: ID!, $after: Int) {
  commandOutput(commandId: $id, after: $after) { seq stream data end { status exitCode signal } } }`;

/** Resident set size of a process, from /proc. */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Collects a subscription's events until it completes or its connection dies (no rejection). */
function follow(url: string, key: string, id: string, after: number, into: OutputEvent[]) {
  const client: Client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
  const done = new Promise<'complete' | 'error'>((resolve) => {
    client.subscribe<{ commandOutput: OutputEvent }>(
      { query: OUTPUT, variables: { id, after } },
      {
        next: (r) => {
          if (r.data) into.push(r.data.commandOutput);
        },
        error: () => resolve('error'),
        complete: () => resolve('complete'),
      },
    );
  });
  return { client, done };
}

/** The same over GraphQL over SSE (distinct connections mode): resuming is the caller's `after`. */
function followOverSse(url: string, key: string, id: string, after: number, into: OutputEvent[]) {
  const client = createSseClient({
    url: `${url}/graphql`,
    headers: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
  const done = new Promise<'complete' | 'error'>((resolve) => {
    client.subscribe<{ commandOutput: OutputEvent }>(
      { query: OUTPUT, variables: { id, after } },
      {
        next: (r) => {
          if (r.data) into.push(r.data.commandOutput);
        },
        error: () => resolve('error'),
        complete: () => resolve('complete'),
      },
    );
  });
  return { client, done };
}

const NS = 'rdev-test';

/**
 * `rdev serve` as a real child process on the embedded database, on the local runtime as a laptop
 * runs it and on the Kubernetes runtime against the fake API server (whose exec runs real
 * processes in the pod's folder, and keeps them running when a client goes away). One process
 * serves both tests (starting one takes seconds on a loaded machine); the second test kills it and
 * starts another on the same data.
 */
describe.each(['local', 'kubernetes'] as const)('the API in its own process, %s runtime', (runtime) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-process-'));
  const adminKey = generateKeyText();
  let fake: FakeKubeApiServer | null = null;
  let workspace = join(dir, 'workspaces', 'demo');
  let env: Record<string, string> = {
    RDEV_DATA_DIR: join(dir, 'data'),
    RDEV_BOOTSTRAP_ADMIN_KEY: adminKey,
    RDEV_LOG_LEVEL: 'warn',
    RDEV_OUTPUT_CAP_BYTES: String(MB),
    PATH: WORKSPACE_PATH_VAR,
  };
  let api: RdevProcess;
  const processes: RdevProcess[] = [];

  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const run = async (script: string): Promise<string> => {
    const { runShell } = await graphql(
      `mutation($script: String!) { runShell(input: { projectName: "demo", script: $script }) {
        ... on RunCommandPayload { command { id } } ... on Error { code message } } }`,
      { script },
    );
    return runShell.command.id;
  };
  const waitForEnd = async (id: string, onPoll: () => void = () => {}) => {
    for (;;) {
      onPoll();
      const { command } = await graphql(
        `query($id: ID!) { command(id: $id) { status error exitCode lastSeq outputTruncated } }`,
        { id },
      );
      if (!['QUEUED', 'RUNNING'].includes(command.status)) return command;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const storedOutput = async (id: string) => {
    const stored: OutputEvent[] = [];
    for (;;) {
      const { command } = await graphql(
        `query($id: ID!, $after: Int) { command(id: $id) { output(after: $after, first: 100) { seq stream data end { status exitCode signal } } } }`,
        { id, after: stored.at(-1)?.seq ?? 0 },
      );
      if (command.output.length === 0) return stored;
      stored.push(...command.output);
    }
  };

  beforeAll(async () => {
    if (runtime === 'local') {
      mkdirSync(workspace, { recursive: true });
      env = { ...env, RDEV_WORKSPACES_DIR: join(dir, 'workspaces') };
    } else {
      fake = await startFakeKubeApiServer({ namespace: NS, execEnv: { PATH: WORKSPACE_PATH_VAR } });
      workspace = fake.podDir('ws-0');
      fake.createPod({
        name: 'ws-0',
        labels: { 'rdev.orchard9.ai/project': 'true', 'rdev.orchard9.ai/name': 'demo' },
        annotations: { 'rdev.orchard9.ai/workspace': workspace },
      });
      const kubeconfig = join(dir, 'kubeconfig.json');
      writeFileSync(kubeconfig, fake.kubeConfig().exportConfig());
      env = { ...env, RDEV_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig, RDEV_NAMESPACE: NS };
    }
    api = await startRdev(env);
    processes.push(api);
  });
  afterAll(async () => {
    for (const p of processes)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    killRunGroups(workspace);
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its resident memory flat while a command prints 200 MB, and stores it up to the truncation marker', async () => {
    const pid = api.child.pid!;
    const peakDuring = async (bytes: number) => {
      const id = await run(
        `yes "0123456789 the quick brown fox jumps over the lazy dog é€" | head -c ${bytes}`,
      );
      let peak = 0;
      const command = await waitForEnd(id, () => {
        peak = Math.max(peak, rssBytes(pid));
      });
      return { id, command, peak };
    };
    // The same work at a tenth of the size sets the baseline: memory must not follow the size.
    const small = await peakDuring(20 * MB);
    const big = await peakDuring(200 * MB);
    console.log(
      `API RSS peak: ${(small.peak / MB).toFixed(0)} MiB at 20 MB, ${(big.peak / MB).toFixed(0)} MiB at 200 MB`,
    );
    expect(big.command).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, outputTruncated: true });
    // Output that followed the size would add 180 MB; the bound leaves room for a busy machine's noise.
    expect(big.peak - small.peak).toBeLessThan(100 * MB);

    const { command } = await graphql(
      `query($id: ID!, $after: Int) { command(id: $id) { output(after: $after, first: 5) { seq stream data end { status } } } }`,
      { id: big.id, after: big.command.lastSeq - 2 },
    );
    const [marker, end] = command.output;
    expect(marker).toMatchObject({ stream: 'SYSTEM' });
    expect(marker.data).toContain('output truncated');
    expect(end).toMatchObject({ stream: 'SYSTEM', end: { status: 'SUCCEEDED' } });
    const stored = (await storedOutput(big.id)).filter((e) => e.stream === 'STDOUT');
    expect(stored.reduce((n, e) => n + Buffer.byteLength(e.data), 0)).toBeLessThanOrEqual(MB);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(Number(/rdev_command_output_bytes_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(
      220 * MB,
    );
  });

  it('finishes a command SUCCEEDED after a SIGKILL, stored once, and a resuming subscriber sees all of it; one whose run folder vanished meanwhile is LOST', async () => {
    // About 12 s of output in bursts: 120 bursts of 50 numbered lines, 0.1 s apart.
    const bursts = 120;
    const expected = Array.from({ length: bursts }, (_, i) =>
      Array.from({ length: 50 }, (_, j) => `burst ${i + 1} line ${j + 1} é€\n`).join(''),
    ).join('');
    const id = await run(
      `i=1; while [ $i -le ${bursts} ]; do j=1; while [ $j -le 50 ]; do echo "burst $i line $j é€"; j=$((j+1)); done; sleep 0.1; i=$((i+1)); done`,
    );
    // A second command whose run folder will vanish while no API is there to notice.
    const doomed = await run('sleep 100');
    const doomedRun = join(workspace, '.rdev', 'runs', plainId(doomed));
    await waitFor(
      () => existsSync(join(doomedRun, 'pid')) && readFileSync(join(doomedRun, 'pid'), 'utf8').trim() !== '',
      'pid file',
      20_000,
    );
    const seen: OutputEvent[] = [];
    const before = follow(api.url, adminKey, id, 0, seen);
    const seenOverSse: OutputEvent[] = [];
    const beforeOverSse = followOverSse(api.url, adminKey, id, 0, seenOverSse);
    // The legacy stream's EventSource reconnects by itself with Last-Event-ID: the new process
    // listens on the same port.
    const legacy = openCommandStream(api.url, plainId(id), adminKey);
    const port = new URL(api.url).port;
    const deadline = Date.now() + 20_000;
    while (
      (joinStdout(seen).length < expected.length / 5 ||
        seenOverSse.length === 0 ||
        legacy.events.length === 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(joinStdout(seen).length).toBeGreaterThan(0);
    api.child.kill('SIGKILL');
    expect(await api.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await before.done).toBe('error');
    expect(await beforeOverSse.done).toBe('error');
    await before.client.dispose();
    beforeOverSse.client.dispose();
    const cut = seen.length;
    expect(seen.every((e) => !e.end)).toBe(true);
    process.kill(-Number(readFileSync(join(doomedRun, 'pid'), 'utf8').trim()), 'SIGKILL');
    // The waiter outlives the command's group and records its end; removing the folder before that
    // write races with it.
    await waitFor(() => existsSync(join(doomedRun, 'exit')), 'exit file', 20_000);
    rmSync(doomedRun, { recursive: true, force: true, maxRetries: 5 });

    api = await startRdev({ ...env, PORT: port });
    processes.push(api);
    // Found lost on start, when the new process re-attaches to what it left running.
    expect(await waitForEnd(doomed)).toMatchObject({
      status: 'LOST',
      error: expect.stringMatching(/^lost: no-run-dir/),
    });
    const after = follow(api.url, adminKey, id, seen.at(-1)!.seq, seen);
    expect(await after.done).toBe('complete');
    await after.client.dispose();
    expect(seen.length).toBeGreaterThan(cut);

    // The subscriber's two halves join without gap or duplicate into the command's own output.
    expect(joinStdout(seen)).toBe(expected);
    expect(readFileSync(join(workspace, '.rdev', 'runs', plainId(id), 'stdout'), 'utf8')).toBe(expected);
    expect(seen.filter((e) => e.end)).toEqual([
      expect.objectContaining({ end: { status: 'SUCCEEDED', exitCode: 0, signal: null } }),
    ]);
    // And what is stored is exactly that.
    const stored = await storedOutput(id);
    expect(stored).toEqual(seen.map((e) => expect.objectContaining({ seq: e.seq, data: e.data })));

    // GraphQL over SSE, resumed from the last event it saw, and the legacy stream, resumed by its
    // EventSource, each hold every event once, in order.
    const afterOverSse = followOverSse(api.url, adminKey, id, seenOverSse.at(-1)!.seq, seenOverSse);
    expect(await afterOverSse.done).toBe('complete');
    afterOverSse.client.dispose();
    expect(seenOverSse.map((e) => e.seq)).toEqual(seen.map((e) => e.seq));
    expect(joinStdout(seenOverSse)).toBe(expected);
    await legacy.ended;
    expect(legacy.requests.length).toBeGreaterThanOrEqual(2);
    expect(legacy.events.map((e) => e.data.seq)).toEqual(seen.map((e) => e.seq));
    expect(
      legacy.events
        .filter((e) => e.type === 'output' && e.data.stream === 'STDOUT')
        .map((e) => e.data.data)
        .join(''),
    ).toBe(expected);

    api.child.kill('SIGTERM');
    expect((await api.exited).code).toBe(0);
  });
});
