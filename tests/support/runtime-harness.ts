/**
 * The workspace runtime on each transport it ships with, for tests that must hold on all of them:
 * the local one (child processes), and the Kubernetes one against the fake API server under the
 * v5 and the v4 channel protocols.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubernetesExecTransport } from '../../src/adapters/kubernetes/kubernetes-exec-transport.js';
import {
  defaultLocalEnvironment,
  LocalExecTransport,
} from '../../src/adapters/local/local-exec-transport.js';
import {
  SupervisorRuntime,
  type SupervisorRuntimeDeps,
} from '../../src/adapters/supervisor/supervisor-runtime.js';
import type { ExecProcess, ExecTransport } from '../../src/ports/exec-transport.js';
import type { WorkspaceTarget } from '../../src/ports/workspace-runtime.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from './fake-kube-apiserver.js';

export const FAKE_CLAUDE_DIR = fileURLToPath(new URL('./fake-claude/', import.meta.url));
/** PATH for workspaces: the fake `claude` first. */
export const WORKSPACE_PATH_VAR = `${FAKE_CLAUDE_DIR}${delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`;

export type RuntimeKind = 'local' | 'kubernetes v5' | 'kubernetes v4';
export const RUNTIME_KINDS: RuntimeKind[] = ['local', 'kubernetes v5', 'kubernetes v4'];

export interface RuntimeHarness {
  kind: RuntimeKind;
  target: WorkspaceTarget;
  /** The workspace folder on this machine. */
  workspace: string;
  /** A runtime over the harness's transport; options are the runtime's own. */
  runtime(options?: Omit<SupervisorRuntimeDeps, 'transport'>): SupervisorRuntime;
  /** Cuts every open follow connection the way the network would; commands run on. */
  dropFollowStreams(): void;
  fake: FakeKubeApiServer | null;
  close(): Promise<void>;
}

/** Remembers open processes so that a test can cut them. */
class TrackingTransport implements ExecTransport {
  readonly open = new Set<ExecProcess>();

  constructor(private readonly inner: ExecTransport) {}

  async exec(...args: Parameters<ExecTransport['exec']>): Promise<ExecProcess> {
    const proc = await this.inner.exec(...args);
    if (args[1][2] === 'follow') {
      this.open.add(proc);
      void proc.done.then(() => this.open.delete(proc));
    }
    return proc;
  }
}

export async function startRuntimeHarness(kind: RuntimeKind): Promise<RuntimeHarness> {
  if (kind === 'local') {
    const workspace = mkdtempSync(join(tmpdir(), 'rdev-local-ws-'));
    const transport = new TrackingTransport(
      new LocalExecTransport({ env: { ...defaultLocalEnvironment(), PATH: WORKSPACE_PATH_VAR } }),
    );
    return {
      kind,
      workspace,
      fake: null,
      target: { projectName: 'demo', workspacePath: workspace },
      runtime: (options) => new SupervisorRuntime({ transport, ...options }),
      // Locally there is no connection to cut: ending the follow process is the closest thing.
      dropFollowStreams: () => {
        for (const proc of transport.open) proc.close();
      },
      close: async () => {
        killRunGroups(workspace);
        rmSync(workspace, { recursive: true, force: true });
      },
    };
  }
  const fake = await startFakeKubeApiServer({
    execProtocols: kind === 'kubernetes v4' ? ['v4.channel.k8s.io'] : undefined,
    execEnv: { PATH: WORKSPACE_PATH_VAR },
  });
  fake.createPod({ name: 'ws-0' });
  const workspace = fake.podDir('ws-0');
  const transport = new KubernetesExecTransport({ kubeConfig: fake.kubeConfig() });
  return {
    kind,
    workspace,
    fake,
    target: { projectName: 'demo', workspacePath: workspace, podName: 'ws-0', namespace: fake.namespace },
    runtime: (options) => new SupervisorRuntime({ transport, ...options }),
    dropFollowStreams: () => fake.faults.dropExecSockets(),
    close: async () => {
      killRunGroups(workspace);
      await fake.close();
    },
  };
}

/** Kills what runs in the workspace's run folders: supervised commands live in their own sessions. */
export function killRunGroups(workspace: string): void {
  const runs = join(workspace, '.rdev', 'runs');
  let ids: string[] = [];
  try {
    ids = readdirSync(runs);
  } catch {
    return;
  }
  for (const id of ids) {
    try {
      process.kill(-Number(readFileSync(join(runs, id, 'pid'), 'utf8').trim()), 'SIGKILL');
    } catch {
      // Not started, or already gone.
    }
  }
}
