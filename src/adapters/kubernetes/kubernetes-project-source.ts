import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Pod, Watch } from '@kubernetes/client-node';
import { RuntimeUnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../observability/logger.js';
import type {
  ProjectSnapshot,
  ProjectSource,
  ProjectSourceHealth,
  ProjectSourceListener,
} from '../../ports/project-source.js';
import { abortable } from './abortable.js';
import type { KubeApiGuard } from './kube-api-guard.js';
import { describeKubeError } from './kube-errors.js';
import { buildKubeProjects } from './kube-projects.js';
import { KubeReflector } from './kube-reflector.js';

export interface KubernetesProjectSourceOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Label and annotation prefix: pods labelled `<prefix>/project=true` are projects. */
  labelPrefix: string;
  /** The ConfigMap with one YAML document of settings per project. */
  configMapName: string;
  guard: KubeApiGuard;
  /** A full relist this often, in case a watch stops delivering without ending. */
  resyncMs: number;
  /** Longest wait between retries while the API fails. */
  retryMaxMs: number;
  /** Workspace path when no setting, annotation or label gives one. */
  defaultWorkspace?: string;
  watchTimeoutSeconds?: number;
  logger?: Logger;
}

/**
 * Projects from pods: watches the labelled pods of one namespace and the projects ConfigMap, and
 * pushes a new snapshot whenever either changes. All API calls go through the shared guard.
 */
export class KubernetesProjectSource implements ProjectSource {
  readonly runtime = 'kubernetes' as const;
  private readonly pods: KubeReflector<V1Pod>;
  private readonly configMaps: KubeReflector<V1ConfigMap>;
  private readonly listeners = new Set<ProjectSourceListener>();
  private pending: NodeJS.Immediate | null = null;
  private stopGuardWatch: (() => void) | null = null;

  constructor(private readonly options: KubernetesProjectSourceOptions) {
    const api = options.kubeConfig.makeApiClient(CoreV1Api);
    const watch = new Watch(options.kubeConfig);
    const { namespace, guard, logger } = options;
    const labelSelector = `${options.labelPrefix}/project=true`;
    const fieldSelector = `metadata.name=${options.configMapName}`;
    const common = {
      watch,
      guard,
      logger,
      resyncMs: options.resyncMs,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      retry: { initialMs: 200, maxMs: Math.max(200, options.retryMaxMs) },
      onChange: () => this.scheduleSnapshot(),
      onHealth: () => this.emitHealth(),
    };
    this.pods = new KubeReflector<V1Pod>({
      ...common,
      resource: 'pods',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      labelSelector,
      list: (signal) => api.listNamespacedPod({ namespace, labelSelector }, abortable(signal)),
    });
    this.configMaps = new KubeReflector<V1ConfigMap>({
      ...common,
      resource: 'configmaps',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
      fieldSelector,
      list: (signal) => api.listNamespacedConfigMap({ namespace, fieldSelector }, abortable(signal)),
    });
  }

  async start(): Promise<void> {
    this.stopGuardWatch ??= this.options.guard.onStateChange(() => this.emitHealth());
    await Promise.all([this.pods.start(), this.configMaps.start()]);
  }

  async stop(): Promise<void> {
    this.stopGuardWatch?.();
    this.stopGuardWatch = null;
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
    await Promise.all([this.pods.stop(), this.configMaps.stop()]);
  }

  async load(options: { fresh?: boolean } = {}): Promise<ProjectSnapshot> {
    const current = this.pods.synced && this.configMaps.synced && this.pods.listed && this.configMaps.listed;
    if (options.fresh || !current) {
      try {
        await Promise.all([this.pods.relist(), this.configMaps.relist()]);
      } catch (error) {
        if (error instanceof RuntimeUnavailableError) throw error;
        // A 4xx: the API answers but refuses (RBAC, a missing namespace). Say so plainly.
        throw new RuntimeUnavailableError(
          `The Kubernetes API refused to list projects in namespace "${this.options.namespace}" (${describeKubeError(error)}).`,
        );
      }
    }
    const snapshot = this.snapshot();
    if (!snapshot) throw new RuntimeUnavailableError('The Kubernetes API has not been read yet.');
    return snapshot;
  }

  subscribe(listener: ProjectSourceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): ProjectSourceHealth {
    const times = [this.pods.lastSyncedAt, this.configMaps.lastSyncedAt];
    return {
      synced: this.pods.synced && this.configMaps.synced,
      lastSyncedAt: times.some((t) => t === null)
        ? null
        : new Date(Math.min(...times.map((t) => t!.getTime()))),
      lastError: this.pods.lastError ?? this.configMaps.lastError,
      circuitState: this.options.guard.state,
    };
  }

  /** The projects as the reflectors see them, or null before both have listed once. */
  private snapshot(): ProjectSnapshot | null {
    if (!this.pods.listed || !this.configMaps.listed) return null;
    const configMap = this.configMaps.items().find((c) => c.metadata?.name === this.options.configMapName);
    const at = new Date();
    const { projects, problems } = buildKubeProjects(
      this.pods.items(),
      configMap?.data ?? null,
      {
        namespace: this.options.namespace,
        prefix: this.options.labelPrefix,
        configMapName: this.options.configMapName,
        defaultWorkspace: this.options.defaultWorkspace ?? '/workspace',
      },
      at,
    );
    return { projects, problems, at };
  }

  /** Several watch events in one tick (a ConfigMap edit and a pod change) become one snapshot. */
  private scheduleSnapshot(): void {
    this.pending ??= setImmediate(() => {
      this.pending = null;
      const snapshot = this.snapshot();
      if (!snapshot) return;
      for (const listener of [...this.listeners]) listener.onSnapshot(snapshot);
    });
  }

  private emitHealth(): void {
    const health = this.health();
    for (const listener of [...this.listeners]) listener.onHealth?.(health);
  }
}
