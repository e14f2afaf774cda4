import { BubblewrapSandbox } from '../adapters/local/bubblewrap-sandbox.js';
import { LocalExecTransport } from '../adapters/local/local-exec-transport.js';
import { LocalProjectSource } from '../adapters/local/local-project-source.js';
import { LocalWorkspaceFileSystem } from '../adapters/local/local-workspace-file-system.js';
import { LocalWorkspaceFiles } from '../adapters/local/local-workspace-files.js';
import { SupervisorRuntime, type TamperedScriptReport } from '../adapters/supervisor/supervisor-runtime.js';
import type { Config } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { ClaudeAvailability } from '../engine/claude-availability.js';
import type { ExecTransport } from '../ports/exec-transport.js';
import type { ProjectSource } from '../ports/project-source.js';
import type { WorkspaceFileSystem } from '../ports/workspace-file-system.js';
import type { WorkspaceFiles } from '../ports/workspace-files.js';
import type { WorkspaceRuntime } from '../ports/workspace-runtime.js';
import type { Telemetry } from './build-telemetry.js';

/** Where projects come from, where their commands run, and how their `.claude/` files are reached. */
export interface ProjectRuntime {
  source: ProjectSource;
  runtime: WorkspaceRuntime;
  files: WorkspaceFiles;
  /** Whether `claude` runs where CLAUDE commands run. */
  claude: ClaudeAvailability;
  /** Any workspace file (the file API). */
  fileSystem: WorkspaceFileSystem;
  /** One-off programs in a workspace (git status and diffs), not supervised. */
  exec: ExecTransport;
}

const NO_SANDBOX_WARNING =
  "RDEV_LOCAL_SANDBOX=none: commands run as rdev's own user without isolation; a command of any project can read and change every other project's folder, rdev's data folder and rdev's own environment (/proc/<pid>/environ). Set RDEV_LOCAL_SANDBOX=bwrap to confine each command to its project's folder.";

export interface ProjectRuntimeOptions {
  /** Told when a workspace's supervisor script was found changed (and rewritten) before a start. */
  onScriptTampered?(report: TamperedScriptReport): Promise<void>;
}

/** Folders and child processes (`local`) or labelled pods and pod exec (`kubernetes`). */
export async function buildProjectRuntime(
  config: Config,
  telemetry: Telemetry,
  { onScriptTampered }: ProjectRuntimeOptions = {},
): Promise<ProjectRuntime> {
  if (config.runtime === 'kubernetes') return buildKubernetesRuntime(config, telemetry, onScriptTampered);
  const sandbox = config.localSandbox === 'bwrap' ? BubblewrapSandbox.detect() : null;
  if (!sandbox) telemetry.logger.warn({ setting: 'RDEV_LOCAL_SANDBOX' }, NO_SANDBOX_WARNING);
  const exec = new LocalExecTransport();
  const runtime = new SupervisorRuntime({
    transport: exec,
    onScriptTampered,
    ...(sandbox ? { wrapCommand: sandbox.wrap.bind(sandbox) } : {}),
    describeTarget: () =>
      sandbox
        ? "in the environment rdev gives commands (the rdev server's own, without RDEV_* and DATABASE_URL), inside their bubblewrap sandbox, which sees only the system folders (/usr, /opt, ...) and the project's"
        : "in the environment rdev gives commands (the rdev server's own, without RDEV_* and DATABASE_URL)",
  });
  return {
    exec,
    runtime,
    // Every local workspace gets the same environment: one check covers them all.
    claude: new ClaudeAvailability({
      probe: runtime,
      clock: systemClock,
      sharedTarget: { projectName: 'every project', workspacePath: config.workspacesDir },
      log: claudeLog(telemetry),
    }),
    files: new LocalWorkspaceFiles(),
    fileSystem: new LocalWorkspaceFileSystem(),
    source: new LocalProjectSource({
      workspacesDir: config.workspacesDir,
      projectsFile: config.projects.projectsFile,
      rescanMs: config.projects.localRescanMs,
      logger: telemetry.logger.child({ component: 'local-projects' }),
    }),
  };
}

/** Every Kubernetes call of the app goes through one guard: one circuit breaker, one set of time limits. */
async function buildKubernetesRuntime(
  config: Config,
  { logger, metrics, tracing }: Telemetry,
  onScriptTampered: ProjectRuntimeOptions['onScriptTampered'],
): Promise<ProjectRuntime> {
  // Loaded only for this runtime: the Kubernetes client alone adds about 70 MB to a process.
  const [
    { KubeApiGuard },
    { loadKubeConfig, resolveNamespace },
    { KubernetesExecTransport },
    { KubernetesProjectSource },
    { KubernetesWorkspaceFiles },
    { PendingWorkspaceFileSystem },
  ] = await Promise.all([
    import('../adapters/kubernetes/kube-api-guard.js'),
    import('../adapters/kubernetes/kube-connection.js'),
    import('../adapters/kubernetes/kubernetes-exec-transport.js'),
    import('../adapters/kubernetes/kubernetes-project-source.js'),
    import('../adapters/kubernetes/kubernetes-workspace-files.js'),
    import('../adapters/kubernetes/pending-workspace-file-system.js'),
  ]);
  const kubeConfig = loadKubeConfig(config.kubeconfigPath);
  const guard = new KubeApiGuard({
    failureThreshold: config.kubeApi.breakerFailures,
    openMs: config.kubeApi.breakerOpenMs,
    timeoutMs: config.kubeApi.timeoutMs,
    metrics,
    logger: logger.child({ component: 'kube-api' }),
    tracer: tracing.tracer,
  });
  const namespace = resolveNamespace(config.namespace, kubeConfig);
  const execTransport = new KubernetesExecTransport({
    kubeConfig,
    namespace,
    guard: (fn) => guard.execute('exec', () => fn(), { timeoutMs: 15_000 }),
  });
  const runtime = new SupervisorRuntime({
    transport: execTransport,
    onScriptTampered,
    describeTarget: (target) =>
      `in ${target.container ? `container "${target.container}"` : 'the default container'} of pod ${target.namespace ?? namespace}/${target.podName ?? '?'}`,
  });
  return {
    exec: execTransport,
    runtime,
    // Each pod has its own image: each project is checked on its first runClaude.
    claude: new ClaudeAvailability({ probe: runtime, clock: systemClock, log: claudeLog({ logger }) }),
    // .claude/ files through the same exec transport, so the same circuit breaker guards them.
    files: new KubernetesWorkspaceFiles({ transport: execTransport }),
    fileSystem: new PendingWorkspaceFileSystem(),
    source: new KubernetesProjectSource({
      kubeConfig,
      namespace,
      labelPrefix: config.projects.labelPrefix,
      configMapName: config.projects.configMapName,
      guard,
      resyncMs: config.projects.resyncMs,
      retryMaxMs: Math.min(10_000, config.kubeApi.breakerOpenMs),
      logger: logger.child({ component: 'kube-projects' }),
    }),
  };
}

function claudeLog({ logger }: Pick<Telemetry, 'logger'>) {
  const log = logger.child({ component: 'claude-check' });
  return (level: 'warn' | 'info', message: string, details: Record<string, unknown>) =>
    log[level](details, message);
}
