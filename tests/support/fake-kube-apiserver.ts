/**
 * A fake kube-apiserver for tests: plain HTTP and WebSocket on 127.0.0.1, speaking enough of the
 * real wire protocol (lists, selectors, watches with resourceVersion and 410, exec channels) that
 * the unmodified `@kubernetes/client-node` and kubectl work against it. Exec runs real local
 * processes in a folder per pod.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer } from 'ws';
import { ApiHandlers } from './fake-kube/api-handlers.js';
import { DEFAULT_EXEC_PROTOCOLS, ExecHub, type ExecRecord } from './fake-kube/exec-hub.js';
import { FakeKubeFaults } from './fake-kube/faults.js';
import { ObjectStore } from './fake-kube/object-store.js';
import {
  configMapJson,
  type FakePodPatch,
  type FakePodSpec,
  type KubeObject,
  newMetadata,
  type PodState,
  podJson,
  timestamp,
} from './fake-kube/objects.js';
import { RequestLog } from './fake-kube/request-log.js';
import { WatchHub } from './fake-kube/watch-hub.js';

export type { ExecRecord } from './fake-kube/exec-hub.js';
export type { FakeKubeFaults } from './fake-kube/faults.js';
export type { FakePodPatch, FakePodSpec, KubeObject, KubeStatus, PodPhase } from './fake-kube/objects.js';
export type { LoggedRequest, RequestLog, RequestVerb } from './fake-kube/request-log.js';

export interface FakeKubeApiServerOptions {
  /** The one namespace that holds objects; defaults to `rdev-test`. */
  namespace?: string;
  /** Where per-pod folders go; defaults to a temporary folder removed by `close()`. */
  rootDir?: string;
  /** Exec subprotocols the server accepts, most preferred first (e.g. only v4 to mimic an old cluster). */
  execProtocols?: string[];
  /** Extra environment for exec processes, on top of PATH, HOME and HOSTNAME. */
  execEnv?: Record<string, string>;
}

export async function startFakeKubeApiServer(
  options: FakeKubeApiServerOptions = {},
): Promise<FakeKubeApiServer> {
  const server = new FakeKubeApiServer(options);
  await server.listen();
  return server;
}

/**
 * One fake cluster with one namespace. Tests change its objects directly (`createPod`,
 * `updatePod`, ...), which emits watch events like a controller's writes would, and flip
 * `faults` to misbehave; `requests` and `execs` record what clients did.
 */
export class FakeKubeApiServer {
  readonly namespace: string;
  readonly rootDir: string;
  readonly requests = new RequestLog();
  readonly faults: FakeKubeFaults;
  private readonly ownsRootDir: boolean;
  private readonly store = new ObjectStore();
  private readonly watches = new WatchHub(this.store);
  private readonly exec: ExecHub;
  private readonly pods = new Map<string, PodState>();
  private readonly wss: WebSocketServer;
  private readonly handlers: ApiHandlers;
  private readonly http = createServer();
  private nextIp = 10;
  private port = 0;
  private closed = false;

  constructor(options: FakeKubeApiServerOptions) {
    this.namespace = options.namespace ?? 'rdev-test';
    this.ownsRootDir = options.rootDir === undefined;
    this.rootDir = resolve(options.rootDir ?? mkdtempSync(join(tmpdir(), 'fake-kube-')));
    this.exec = new ExecHub(options.execProtocols ?? DEFAULT_EXEC_PROTOCOLS);
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => this.exec.pickProtocol(offered),
    });
    this.faults = new FakeKubeFaults({
      dropWatches: () => this.watches.dropAll(),
      endWatches: () => this.watches.endAll(),
      dropExecSockets: () => this.exec.dropSockets(),
    });
    this.handlers = new ApiHandlers({
      namespace: this.namespace,
      store: this.store,
      watches: this.watches,
      exec: this.exec,
      wss: this.wss,
      faults: this.faults,
      requests: this.requests,
      podDir: (pod) => this.podDir(pod),
      execEnv: options.execEnv,
    });
    this.http.on('request', (req, res) => this.handlers.onRequest(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.handlers.onUpgrade(req, socket, head),
    );
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  /** @internal */
  listen(): Promise<void> {
    return new Promise((ready, fail) => {
      this.http.once('error', fail);
      this.http.listen(0, '127.0.0.1', () => {
        this.port = (this.http.address() as AddressInfo).port;
        ready();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The store's current resourceVersion (one counter across all kinds, as in etcd). */
  get resourceVersion(): string {
    return this.store.resourceVersion;
  }

  /** Exec sessions started so far (upgrades that got as far as starting a process). */
  get execCount(): number {
    return this.exec.records.length;
  }

  get execs(): readonly ExecRecord[] {
    return this.exec.records;
  }

  /** Watches currently open. */
  get openWatches(): number {
    return this.watches.size;
  }

  /** A client configuration for this server: plain HTTP (hence skipTLSVerify), a bearer token. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake-user', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake-user', namespace: this.namespace }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** The pod's folder: the working directory of every exec in it. Survives pod deletion, like a volume. */
  podDir(name: string): string {
    return join(this.rootDir, name);
  }

  /** Adds a pod (Running and Ready unless told otherwise) and creates its folder. */
  createPod(spec: FakePodSpec): KubeObject {
    if (this.pods.has(spec.name)) throw new Error(`pods "${spec.name}" already exists`);
    const phase = spec.phase ?? 'Running';
    const state: PodState = {
      phase,
      ready: spec.ready ?? phase === 'Running',
      podIP: spec.podIP ?? `10.244.0.${this.nextIp++}`,
      startedAt: timestamp(),
    };
    mkdirSync(this.podDir(spec.name), { recursive: true });
    this.pods.set(spec.name, state);
    const metadata = newMetadata(spec.name, this.namespace, spec.labels, spec.annotations);
    return this.store.put('pods', podJson(metadata, state));
  }

  /** Changes a pod; `labels`/`annotations` replace the old maps, a new phase resets readiness. */
  updatePod(name: string, patch: FakePodPatch): KubeObject {
    const state = this.pods.get(name);
    const current = this.store.get('pods', name);
    if (!state || !current) throw new Error(`pods "${name}" not found`);
    if (patch.phase !== undefined && patch.phase !== state.phase) {
      state.phase = patch.phase;
      state.ready = patch.phase === 'Running';
    }
    if (patch.ready !== undefined) state.ready = patch.ready;
    if (patch.podIP !== undefined) state.podIP = patch.podIP;
    const { uid, creationTimestamp, resourceVersion, deletionTimestamp } = current.metadata;
    const metadata = {
      ...newMetadata(
        name,
        this.namespace,
        patch.labels ?? current.metadata.labels,
        patch.annotations ?? current.metadata.annotations,
      ),
      uid,
      creationTimestamp,
      resourceVersion,
    };
    if (patch.terminating ?? deletionTimestamp !== undefined) {
      metadata.deletionTimestamp = deletionTimestamp ?? timestamp();
      metadata.deletionGracePeriodSeconds = 30;
    }
    return this.store.put('pods', podJson(metadata, state));
  }

  /** Deletes a pod at once (grace period 0) and kills the processes exec started in it. */
  deletePod(name: string): boolean {
    this.pods.delete(name);
    this.exec.killPod(name);
    return this.store.remove('pods', name) !== undefined;
  }

  getPod(name: string): KubeObject | undefined {
    return this.store.get('pods', name);
  }

  upsertConfigMap(name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject {
    const current = this.store.get('configmaps', name);
    const metadata = newMetadata(name, this.namespace, labels ?? current?.metadata.labels);
    if (current) {
      metadata.uid = current.metadata.uid;
      metadata.creationTimestamp = current.metadata.creationTimestamp;
    }
    return this.store.put('configmaps', configMapJson(metadata, data));
  }

  deleteConfigMap(name: string): boolean {
    return this.store.remove('configmaps', name) !== undefined;
  }

  /** Drops the event history, so a watch from any older resourceVersion gets 410 Expired. */
  compactHistory(): void {
    this.store.compact();
  }

  /** Sends a BOOKMARK to every open watch that asked for bookmarks. */
  bookmarkWatches(): void {
    this.watches.bookmarkAll();
  }

  /** Ends every stream and socket and kills the exec processes (setsid ones excepted). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.faults.clearHeld();
    this.watches.endAll();
    await this.exec.close();
    for (const socket of this.handlers.pendingUpgrades) socket.destroy();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((done) => this.http.close(() => done()));
    if (this.ownsRootDir) rmSync(this.rootDir, { recursive: true, force: true });
  }
}
