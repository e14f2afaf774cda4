import type { FakeKubeFaults } from './faults.js';
import type { Resource } from './object-store.js';
import { failure, internalError, type KubeObject, type KubeStatus, notFound } from './objects.js';
import type { RequestVerb } from './request-log.js';
import { type FieldSelector, parseFieldSelector, parseLabelSelector, type Selector } from './selectors.js';

/** A request for pods or config maps, decoded from its path and query. */
export interface ResourceRoute {
  verb: Exclude<RequestVerb, 'discovery' | 'unsupported'>;
  resource: Resource;
  /** Undefined for the all-namespaces paths (`/api/v1/pods`). */
  namespace?: string;
  name?: string;
}

const RESOURCE_PATH =
  /^\/api\/v1\/(?:(watch)\/)?(?:namespaces\/([^/]+)\/)?(pods|configmaps)(?:\/([^/]+))?(?:\/(exec))?\/?$/;

export function matchResourceRoute(path: string, query: URLSearchParams): ResourceRoute | undefined {
  const m = RESOURCE_PATH.exec(path);
  if (!m) return undefined;
  const [, watchPrefix, namespace, resource, name, exec] = m;
  if (exec && (resource !== 'pods' || !name)) return undefined;
  const watch = watchPrefix !== undefined || query.get('watch') === 'true' || query.get('watch') === '1';
  const verb = exec ? 'exec' : watch ? 'watch' : name ? 'get' : 'list';
  return {
    verb,
    resource: resource as Resource,
    namespace: namespace && decodeURIComponent(namespace),
    name: name && decodeURIComponent(name),
  };
}

const FIELDS: Record<Resource, string[]> = {
  pods: ['metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName', 'status.podIP'],
  configmaps: ['metadata.name', 'metadata.namespace'],
};

function fieldsOf(obj: KubeObject): Record<string, string> {
  const status = (obj.status ?? {}) as { phase?: string; podIP?: string };
  const spec = (obj.spec ?? {}) as { nodeName?: string };
  return {
    'metadata.name': obj.metadata.name,
    'metadata.namespace': obj.metadata.namespace,
    'status.phase': status.phase ?? '',
    'status.podIP': status.podIP ?? '',
    'spec.nodeName': spec.nodeName ?? '',
  };
}

/** The object filter for a list or watch; throws `SelectorError` for a selector the server refuses. */
export function objectFilter(route: ResourceRoute, query: URLSearchParams): (obj: KubeObject) => boolean {
  const labels: Selector = parseLabelSelector(query.get('labelSelector'));
  const fields: FieldSelector = parseFieldSelector(query.get('fieldSelector'), FIELDS[route.resource]);
  return (obj) =>
    (route.namespace === undefined || obj.metadata.namespace === route.namespace) &&
    (route.name === undefined || obj.metadata.name === route.name) &&
    labels(obj.metadata.labels) &&
    fields(fieldsOf(obj));
}

/** The error a switched-on fault answers this request with, if any. */
export function injectedFailure(
  faults: FakeKubeFaults,
  route: ResourceRoute | undefined,
): KubeStatus | undefined {
  const code = faults.injectedStatus(route?.resource === 'pods');
  if (code === undefined) return undefined;
  if (code === 500) return internalError('injected fault');
  const resource = route ? (route.verb === 'exec' ? 'pods/exec' : route.resource) : '';
  if (code === 404) {
    return route?.name
      ? notFound('pods', route.name)
      : failure(404, 'NotFound', 'the server could not find the requested resource');
  }
  const action = route?.verb === 'exec' ? 'create' : (route?.verb ?? 'get');
  const where = route?.namespace ? ` in the namespace "${route.namespace}"` : ' at the cluster scope';
  const subject = route?.name ? `${resource} "${route.name}"` : resource;
  return failure(
    403,
    'Forbidden',
    `${subject} is forbidden: User "system:serviceaccount:rdev:rdev" cannot ${action} resource "${resource}" in API group ""${where}`,
    { ...(route?.name ? { name: route.name } : {}), kind: resource },
  );
}

/** `PodList` / `ConfigMapList` as the server writes it. */
export function listJson(resource: Resource, resourceVersion: string, items: KubeObject[]): object {
  const kind = resource === 'pods' ? 'PodList' : 'ConfigMapList';
  return { kind, apiVersion: 'v1', metadata: { resourceVersion }, items };
}
