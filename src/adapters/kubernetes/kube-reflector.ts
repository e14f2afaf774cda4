import type { Watch } from '@kubernetes/client-node';
import type { Logger } from '../../observability/logger.js';
import type { KubeApiGuard } from './kube-api-guard.js';
import { describeKubeError, kubeHttpStatus } from './kube-errors.js';

/** The parts of a Kubernetes object a reflector needs. */
export interface KubeObjectLike {
  metadata?: { name?: string; resourceVersion?: string };
}

export interface KubeListLike<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface KubeReflectorDeps<T extends KubeObjectLike> {
  /** For logs: `pods`, `configmaps`. */
  resource: string;
  /** The collection path watched, e.g. `/api/v1/namespaces/rdev/pods`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Lists the collection with the same selectors; must pass `signal` on to the request. */
  list(signal: AbortSignal): Promise<KubeListLike<T>>;
  watch: Watch;
  guard: KubeApiGuard;
  /** A full relist this often, because a watch can stop delivering without ending. */
  resyncMs: number;
  /** Asks the server to end each watch after about this long; it is then resumed. */
  watchTimeoutSeconds: number;
  retry: { initialMs: number; maxMs: number };
  logger?: Logger;
  /** The objects changed. */
  onChange(): void;
  /** `synced` or `lastError` changed. */
  onHealth(): void;
}

interface WatchSession {
  controller?: AbortController;
  /** Ended on purpose (relist, resync, stop): its end is not a failure. */
  cancelled: boolean;
  settle(error: unknown): void;
}

class WatchDropped extends Error {
  constructor(
    cause: unknown,
    readonly livedMs: number,
  ) {
    super(`watch stream ended with an error: ${describeKubeError(cause)}`, { cause });
  }
}

/**
 * Keeps a local copy of one collection, the way client-go's reflector does: list, then watch from
 * the list's resourceVersion; a watch that ends is resumed from the last resourceVersion seen (so
 * no event is lost), a 410 Gone means a fresh list, and a relist also runs every `resyncMs`.
 * Failures are retried with capped, jittered backoff for as long as the reflector runs (the
 * client's own informer stops for good on the first non-410 error). Every request goes through
 * the API guard.
 */
export class KubeReflector<T extends KubeObjectLike> {
  private readonly objects = new Map<string, T>();
  private resourceVersion = '';
  private session: WatchSession | null = null;
  private relisting: Promise<void> | null = null;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private resyncTimer: NodeJS.Timeout | undefined;
  private hasListed = false;
  /** Failed attempts since a watch was last established; drives the backoff. */
  private failures = 0;
  synced = false;
  lastError: string | null = null;
  lastSyncedAt: Date | null = null;

  constructor(private readonly deps: KubeReflectorDeps<T>) {}

  /** The objects as last seen. */
  items(): T[] {
    return [...this.objects.values()];
  }

  /** True once a list has succeeded (the copy means something). */
  get listed(): boolean {
    return this.hasListed;
  }

  /** Starts the loop; resolves after the first list attempt, whether it worked or not. */
  start(): Promise<void> {
    if (!this.stopped) return Promise.resolve();
    this.stopped = false;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.loop = this.run(firstAttempt);
    this.scheduleResync();
    return attempted;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    this.cancelSession();
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /**
   * Lists the collection now and restarts the watch from the list's resourceVersion. Concurrent
   * callers share one request.
   * @throws what the guard throws (RuntimeUnavailableError, or a 4xx ApiException).
   */
  relist(): Promise<void> {
    this.relisting ??= (async () => {
      try {
        const list = await this.deps.guard.execute('list', (signal) => this.deps.list(signal));
        this.replaceAll(list.items, list.metadata?.resourceVersion ?? '');
        this.markSynced();
        // An open watch follows an older resourceVersion: replaying it would undo newer state.
        this.cancelSession();
        this.wake?.();
      } catch (error) {
        this.markFailed(error);
        throw error;
      } finally {
        this.relisting = null;
      }
    })();
    return this.relisting;
  }

  private async run(firstAttempt: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        firstAttempt();
        await this.watchOnce();
      } catch (error) {
        firstAttempt();
        if (this.stopped) break;
        if (kubeHttpStatus(error) === 410) {
          this.resourceVersion = '';
          continue;
        }
        if (error instanceof WatchDropped) {
          this.deps.logger?.debug(
            { resource: this.deps.resource, err: error.message },
            'watch dropped; resuming',
          );
          // A stream that ran for a while is resumed at once; one that keeps dying backs off.
          if (error.livedMs >= 1000) continue;
        } else {
          this.markFailed(error);
        }
        await this.pause(this.backoff(this.failures++));
      }
    }
  }

  /** Watches from the current resourceVersion until the stream ends; throws if it broke. */
  private async watchOnce(): Promise<void> {
    let establishedAt = 0;
    const session: WatchSession = { cancelled: false, settle: () => {} };
    const ended = new Promise<void>((resolve, reject) => {
      session.settle = (error) => {
        if (!error || session.cancelled) resolve();
        else reject(establishedAt ? new WatchDropped(error, Date.now() - establishedAt) : error);
      };
    });
    ended.catch(() => {});
    let earlyFailure: unknown = null;
    this.session = session;
    const query: Record<string, string | number | boolean> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      // Spread watch ends so many replicas do not re-watch in step.
      timeoutSeconds: Math.round(this.deps.watchTimeoutSeconds * (0.8 + Math.random() * 0.4)),
    };
    if (this.deps.labelSelector) query.labelSelector = this.deps.labelSelector;
    if (this.deps.fieldSelector) query.fieldSelector = this.deps.fieldSelector;

    const controller = await this.deps.guard
      .execute('watch', async (signal) => {
        const c = await this.deps.watch.watch(
          this.deps.path,
          query,
          (type, object) => this.onEvent(session, type, object),
          (error) => {
            if (!session.controller && error) earlyFailure = error;
            session.settle(error);
          },
        );
        if (signal.aborted) {
          // The guard already gave up on this request (timeout); drop the late stream.
          c.abort();
          throw new Error('watch established after its deadline');
        }
        // The client reports an HTTP error status through the done callback before returning.
        if (earlyFailure) throw earlyFailure;
        return c;
      })
      .catch((error) => {
        // Given up on (timeout, server failure): a stream the server opens later is not ours.
        session.cancelled = true;
        if (this.session === session) this.session = null;
        throw error;
      });
    session.controller = controller;
    if (session.cancelled || this.stopped || this.session !== session) {
      controller.abort();
      return;
    }
    establishedAt = Date.now();
    this.failures = 0;
    this.markSynced();
    await ended;
  }

  private onEvent(session: WatchSession, type: string, object: unknown): void {
    if (session !== this.session || session.cancelled) return;
    const obj = object as T & { code?: number; message?: string };
    const rv = obj.metadata?.resourceVersion;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        if (obj.metadata?.name) this.objects.set(obj.metadata.name, obj);
        break;
      case 'DELETED':
        if (obj.metadata?.name) this.objects.delete(obj.metadata.name);
        break;
      case 'BOOKMARK':
        if (rv) this.resourceVersion = rv;
        this.lastSyncedAt = new Date();
        return;
      case 'ERROR':
        if (obj.code === 410) {
          // History was compacted past our position: the stream ends and the loop relists.
          this.resourceVersion = '';
        } else {
          session.settle(new Error(`watch error event: ${obj.message ?? JSON.stringify(obj)}`));
          session.controller?.abort();
        }
        return;
      default:
        return;
    }
    if (rv) this.resourceVersion = rv;
    this.lastSyncedAt = new Date();
    this.deps.onChange();
  }

  private replaceAll(items: T[], resourceVersion: string): void {
    let changed = !this.hasListed || items.length !== this.objects.size;
    const next = new Map<string, T>();
    for (const item of items) {
      const name = item.metadata?.name;
      if (!name) continue;
      const before = this.objects.get(name);
      if (!before || before.metadata?.resourceVersion !== item.metadata?.resourceVersion) changed = true;
      next.set(name, item);
    }
    this.objects.clear();
    for (const [name, item] of next) this.objects.set(name, item);
    this.resourceVersion = resourceVersion;
    this.hasListed = true;
    this.lastSyncedAt = new Date();
    if (changed) this.deps.onChange();
  }

  private cancelSession(): void {
    const session = this.session;
    this.session = null;
    if (!session) return;
    session.cancelled = true;
    session.controller?.abort();
    session.settle(null);
  }

  private markSynced(): void {
    if (this.synced && this.lastError === null) return;
    if (this.lastError !== null)
      this.deps.logger?.info({ resource: this.deps.resource }, 'Kubernetes watch recovered');
    this.synced = true;
    this.lastError = null;
    this.deps.onHealth();
  }

  private markFailed(error: unknown): void {
    // A 4xx ApiException's own message carries the whole response, headers included.
    const message =
      kubeHttpStatus(error) === undefined && error instanceof Error
        ? error.message
        : describeKubeError(error);
    const first = this.lastError === null;
    this.synced = false;
    this.lastError = message;
    this.deps.logger?.[first ? 'warn' : 'debug'](
      { resource: this.deps.resource, err: message },
      'Kubernetes list/watch failed; retrying with backoff',
    );
    this.deps.onHealth();
  }

  private backoff(attempt: number): number {
    const { initialMs, maxMs } = this.deps.retry;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private scheduleResync(): void {
    const jittered = this.deps.resyncMs * (0.9 + Math.random() * 0.2);
    this.resyncTimer = setTimeout(() => {
      if (this.stopped) return;
      // Forget the position: the loop lists again and diffs, catching anything a silent watch missed.
      this.resourceVersion = '';
      this.cancelSession();
      this.wake?.();
      this.scheduleResync();
    }, jittered);
    this.resyncTimer.unref();
  }
}
