import type { KubeObject } from './objects.js';

export type Resource = 'pods' | 'configmaps';

/** One change, as etcd records it: the revision it created, the new and the previous object. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  revision: number;
  object: KubeObject;
  previous?: KubeObject;
}

/**
 * The fake's etcd: objects of one namespace, a single revision counter shared by every kind
 * (so `resourceVersion` grows across pods and config maps alike) and a bounded event history
 * that watches replay from.
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects: Record<Resource, Map<string, KubeObject>> = {
    pods: new Map(),
    configmaps: new Map(),
  };
  private history: StoreEvent[] = [];
  /** Watches from a revision below this one missed events that are gone: 410 Expired. */
  private compactedThrough = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(private readonly maxHistory = 1000) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  get(resource: Resource, name: string): KubeObject | undefined {
    const obj = this.objects[resource].get(name);
    return obj && structuredClone(obj);
  }

  list(resource: Resource): KubeObject[] {
    return [...this.objects[resource].values()].map((o) => structuredClone(o));
  }

  /** Stores a new version of an object, stamping it with the next revision. */
  put(resource: Resource, object: KubeObject): KubeObject {
    const previous = this.objects[resource].get(object.metadata.name);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects[resource].set(stored.metadata.name, stored);
    this.record({
      type: previous ? 'MODIFIED' : 'ADDED',
      resource,
      revision: this.revision,
      object: stored,
      previous,
    });
    return structuredClone(stored);
  }

  remove(resource: Resource, name: string): KubeObject | undefined {
    const previous = this.objects[resource].get(name);
    if (!previous) return undefined;
    this.objects[resource].delete(name);
    // The DELETED event carries the object at the revision of the delete, as the real server does.
    const gone = structuredClone(previous);
    gone.metadata.resourceVersion = String(++this.revision);
    this.record({ type: 'DELETED', resource, revision: this.revision, object: gone, previous });
    return structuredClone(gone);
  }

  /** Events after `revision`, or `expired` when some of them were compacted away. */
  since(revision: number): StoreEvent[] | 'expired' {
    if (revision < this.compactedThrough) return 'expired';
    return this.history.filter((e) => e.revision > revision);
  }

  /** Forgets all history, as an etcd compaction at the current revision does. */
  compact(): void {
    this.history = [];
    this.compactedThrough = this.revision;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.maxHistory) {
      const dropped = this.history.shift()!;
      this.compactedThrough = dropped.revision;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
