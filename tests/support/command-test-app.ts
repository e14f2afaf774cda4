/**
 * A real app with one project, `demo`, on either runtime: a folder under a temporary workspaces
 * directory (local), or a pod of the fake kube-apiserver whose folder is annotated as its workspace
 * (Kubernetes). The fake `claude` is first on the workspace PATH in both.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { DatabaseKind } from '../../src/adapters/postgres/database.js';
import type { AppOverrides } from '../../src/app.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from './fake-kube-apiserver.js';
import { killRunGroups, WORKSPACE_PATH_VAR } from './runtime-harness.js';
import { startTestApp, type TestApp } from './test-app.js';

export type CommandRuntime = 'local' | 'kubernetes';
export const COMMAND_RUNTIMES: CommandRuntime[] = ['local', 'kubernetes'];

const NS = 'rdev-test';
const PREFIX = 'rdev.orchard9.ai';

export interface CommandTestApp extends TestApp {
  runtime: CommandRuntime;
  /** The `demo` project's workspace folder on this machine. */
  workspace: string;
  fake: FakeKubeApiServer | null;
  /** GraphQL with the admin key; throws on top-level errors. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T>;
  /** runShell with the admin key; returns the command (id, status, ...) or throws with the union error. */
  runShell(input: Record<string, unknown>, key?: string): Promise<{ id: string; status: string }>;
  /** Polls the command until it is terminal; returns it. */
  waitForEnd(id: string, timeoutMs?: number): Promise<any>;
  /** A graphql-ws client with `key` (admin by default). */
  wsClient(key?: string): Client;
}

export const COMMAND_FIELDS =
  'id status type exitCode signal error priority queuePosition argv prompt lastSeq outputTruncated startedAt finishedAt';

/**
 * Starts the app. `projectSettings` is the YAML of the `demo` project's settings (e.g.
 * `max_concurrent_commands: 2`): the projects file locally, the `rdev-projects` ConfigMap on Kubernetes.
 */
export async function startCommandApp(
  runtime: CommandRuntime,
  env: Record<string, string> = {},
  options: {
    projectSettings?: string;
    /** More projects: name to settings YAML (empty for the defaults). */
    extraProjects?: Record<string, string>;
    database?: DatabaseKind;
    /** Passed to the app (a span exporter, for tracing tests). */
    overrides?: AppOverrides;
    /** The PATH commands get, instead of one with the fake `claude` first. */
    pathVar?: string;
  } = {},
): Promise<CommandTestApp> {
  const settings: Record<string, string> = { ...options.extraProjects };
  if (options.projectSettings) settings.demo = options.projectSettings;
  const named = Object.entries(settings).filter(([, yaml]) => yaml.trim() !== '');
  let fake: FakeKubeApiServer | null = null;
  let dir: string;
  let workspace: string;
  let runtimeEnv: Record<string, string>;
  if (runtime === 'local') {
    dir = mkdtempSync(join(tmpdir(), 'rdev-cmd-'));
    workspace = join(dir, 'demo');
    mkdirSync(workspace);
    for (const name of Object.keys(options.extraProjects ?? {})) mkdirSync(join(dir, name));
    if (named.length > 0) {
      const yaml = named.map(([name, text]) => `${name}:\n${text.replace(/^/gm, '  ')}\n`).join('');
      writeFileSync(join(dir, 'rdev-projects.yaml'), yaml);
    }
    // The local runtime gives commands this process's environment.
    if (options.pathVar) process.env.PATH = options.pathVar;
    else if (!process.env.PATH?.startsWith(WORKSPACE_PATH_VAR)) process.env.PATH = WORKSPACE_PATH_VAR;
    runtimeEnv = { RDEV_WORKSPACES_DIR: dir };
  } else {
    fake = await startFakeKubeApiServer({
      namespace: NS,
      execEnv: { PATH: options.pathVar ?? WORKSPACE_PATH_VAR },
    });
    workspace = fake.podDir('ws-0');
    fake.createPod({
      name: 'ws-0',
      labels: { [`${PREFIX}/project`]: 'true', [`${PREFIX}/name`]: 'demo' },
      annotations: { [`${PREFIX}/workspace`]: workspace },
    });
    for (const name of Object.keys(options.extraProjects ?? {})) {
      fake.createPod({
        name: `ws-${name}`,
        labels: { [`${PREFIX}/project`]: 'true', [`${PREFIX}/name`]: name },
        annotations: { [`${PREFIX}/workspace`]: fake.podDir(`ws-${name}`) },
      });
    }
    if (named.length > 0) fake.upsertConfigMap('rdev-projects', Object.fromEntries(named));
    dir = mkdtempSync(join(tmpdir(), 'rdev-cmd-kube-'));
    const kubeconfig = join(dir, 'kubeconfig.json');
    writeFileSync(kubeconfig, fake.kubeConfig().exportConfig());
    runtimeEnv = { RDEV_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig, RDEV_NAMESPACE: NS };
  }
  const t = await startTestApp(options.database ?? 'pglite', { ...runtimeEnv, ...env }, options.overrides);
  const wsUrl = `${t.url.replace('http', 'ws')}/graphql`;
  const clients: Client[] = [];

  const c: CommandTestApp = Object.assign(t, {
    runtime,
    workspace,
    fake,
    async gql(query: string, variables?: Record<string, unknown>, key?: string) {
      const { body } = await t.graphql(query, variables, t.auth(key));
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async runShell(input: Record<string, unknown>, key?: string) {
      const data = await c.gql(
        `mutation($input: RunShellInput!) { runShell(input: $input) { __typename
          ... on RunCommandPayload { command { ${COMMAND_FIELDS} } } ... on Error { code message } } }`,
        { input: { projectName: 'demo', ...input } },
        key,
      );
      if (data.runShell.__typename !== 'RunCommandPayload') {
        throw new Error(`runShell: ${data.runShell.code}: ${data.runShell.message}`);
      }
      return data.runShell.command;
    },
    async waitForEnd(id: string, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { command } = await c.gql(`query($id: ID!) { command(id: $id) { ${COMMAND_FIELDS} } }`, {
          id,
        });
        if (!['QUEUED', 'RUNNING'].includes(command.status)) return command;
        if (Date.now() > deadline) throw new Error(`command ${id} still ${command.status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    wsClient(key?: string) {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${key ?? t.adminKey}` },
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
  });
  const close = t.close.bind(t);
  c.close = async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await close();
    killRunGroups(workspace);
    await fake?.close();
    // Supervisors of killed runs may still be writing their exit status: try again a little
    // later, and leave a temporary folder behind rather than fail a suite whose tests passed.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
        killRunGroups(workspace);
      }
    }
  };
  return c;
}

export interface OutputEvent {
  seq: number;
  stream: string;
  data: string;
  /** The event's exact bytes, in base64. */
  dataBase64: string;
  end: { status: string; exitCode: number | null; signal: string | null } | null;
}

const OUTPUT_SUBSCRIPTION = `subscription($id: ID!, $after: Int) {
  commandOutput(commandId: $id, after: $after) { seq stream data dataBase64 end { status exitCode signal } } }`;

/**
 * Subscribes to a command's output over graphql-ws; resolves with the events up to and including
 * the end event, or, with `stopAfter`, once that many events arrived (and unsubscribes).
 */
export function collectOutput(
  client: Client,
  id: string,
  after = 0,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<OutputEvent[]> {
  return new Promise((resolve, reject) => {
    const events: OutputEvent[] = [];
    let done = false;
    const unsubscribe = client.subscribe<{ commandOutput: OutputEvent }>(
      { query: OUTPUT_SUBSCRIPTION, variables: { id, after } },
      {
        next: (result) => {
          if (done) return;
          if (result.errors) {
            done = true;
            reject(new Error(JSON.stringify(result.errors)));
            return;
          }
          const event = result.data!.commandOutput;
          events.push(event);
          if (events.length >= stopAfter && !event.end) {
            done = true;
            unsubscribe();
            resolve(events);
          }
        },
        error: (error) => {
          // A close event stringifies to {}: say its code and reason instead.
          const { code, reason } = (error ?? {}) as { code?: number; reason?: string };
          const text =
            code === undefined ? JSON.stringify(error) : `connection closed: ${code} ${reason ?? ''}`;
          if (!done) reject(error instanceof Error ? error : new Error(text));
          done = true;
        },
        complete: () => {
          if (!done) resolve(events);
          done = true;
        },
      },
    );
  });
}

/** Stdout of events joined, in seq order, checking that seqs are gap-free from `from`. */
export function joinStdout(events: OutputEvent[], from = 1): string {
  events.forEach((e, i) => {
    if (e.seq !== from + i) throw new Error(`seq ${e.seq} at index ${i}, expected ${from + i}`);
  });
  return events
    .filter((e) => e.stream === 'STDOUT')
    .map((e) => e.data)
    .join('');
}

/** The exact bytes of a stream, from its events' `dataBase64`. */
export function streamBytes(
  events: readonly { stream: string; dataBase64: string }[],
  stream: string,
): Buffer {
  return Buffer.concat(
    events.filter((e) => e.stream === stream).map((e) => Buffer.from(e.dataBase64, 'base64')),
  );
}

/** The plain command id (what the REST routes and the run folder use) of a global id. */
export function plainId(globalId: string): string {
  const [type, id] = Buffer.from(globalId, 'base64').toString('utf8').split(':');
  if (type !== 'Command' || !id) throw new Error(`not a Command id: ${globalId}`);
  return id;
}

/** What a command wrote to stdout, from its run folder in the workspace. */
export function runFolderStdout(workspace: string, globalId: string): string {
  return readFileSync(join(workspace, '.rdev', 'runs', plainId(globalId), 'stdout'), 'utf8');
}
