import type { Resource } from './object-store.js';
import type { KubeObject } from './objects.js';

/** Whether the client asked for server-side printing (`kubectl get` does). */
export function wantsTable(accept: string | undefined): boolean {
  return accept?.includes('as=Table') ?? false;
}

function age(created: string): string {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function column(name: string, type: string, format = '') {
  return { name, type, format, description: '', priority: 0 };
}

const COLUMNS: Record<Resource, ReturnType<typeof column>[]> = {
  pods: [
    column('Name', 'string', 'name'),
    column('Ready', 'string'),
    column('Status', 'string'),
    column('Restarts', 'string'),
    column('Age', 'string'),
  ],
  configmaps: [column('Name', 'string', 'name'), column('Data', 'string'), column('Age', 'string')],
};

function cells(resource: Resource, obj: KubeObject): unknown[] {
  const { name, creationTimestamp, deletionTimestamp } = obj.metadata;
  if (resource === 'configmaps') return [name, Object.keys(obj.data ?? {}).length, age(creationTimestamp)];
  const status = obj.status as { phase: string; containerStatuses: { ready: boolean }[] };
  const ready = status.containerStatuses.filter((c) => c.ready).length;
  const phase = deletionTimestamp ? 'Terminating' : status.phase;
  return [name, `${ready}/${status.containerStatuses.length}`, phase, '0', age(creationTimestamp)];
}

/** A `meta.k8s.io/v1` Table of the objects, as kube-apiserver prints them for kubectl. */
export function tableJson(resource: Resource, resourceVersion: string, items: KubeObject[]): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: COLUMNS[resource],
    rows: items.map((obj) => ({
      cells: cells(resource, obj),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata },
    })),
  };
}
