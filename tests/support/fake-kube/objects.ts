/**
 * JSON shapes of the objects the fake serves, written the way kube-apiserver writes them
 * (empty maps omitted, timestamps in RFC 3339 without fractions).
 */
import { randomUUID } from 'node:crypto';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
}

/** Any stored object: a Pod or a ConfigMap in wire JSON. */
export interface KubeObject {
  apiVersion: 'v1';
  kind: 'Pod' | 'ConfigMap';
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** What a test says about a pod; everything else is filled in like a scheduled busybox pod. */
export interface FakePodSpec {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Defaults to `Running`. */
  phase?: PodPhase;
  /** The Ready condition; defaults to `phase === 'Running'`. */
  ready?: boolean;
  /** Defaults to a fresh 10.244.0.x address while the pod is Running or terminating. */
  podIP?: string;
}

/** Fields `updatePod` may change; labels and annotations are replaced, not merged. */
export interface FakePodPatch extends Partial<Omit<FakePodSpec, 'name'>> {
  /** Sets `metadata.deletionTimestamp`, as the first step of a graceful delete does. */
  terminating?: boolean;
}

export const CONTAINER_NAME = 'workspace';

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nonEmpty(map: Record<string, string> | undefined): Record<string, string> | undefined {
  return map && Object.keys(map).length > 0 ? { ...map } : undefined;
}

export function newMetadata(
  name: string,
  namespace: string,
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
): ObjectMeta {
  const meta: ObjectMeta = {
    name,
    namespace,
    uid: randomUUID(),
    resourceVersion: '0',
    creationTimestamp: timestamp(),
  };
  const l = nonEmpty(labels);
  const a = nonEmpty(annotations);
  if (l) meta.labels = l;
  if (a) meta.annotations = a;
  return meta;
}

/** The pod-level state a test controls, kept beside the JSON so updates can rebuild it. */
export interface PodState {
  phase: PodPhase;
  ready: boolean;
  podIP: string;
  startedAt: string;
}

export function podJson(metadata: ObjectMeta, state: PodState): KubeObject {
  const running = state.phase === 'Running';
  const containerState = running
    ? { running: { startedAt: state.startedAt } }
    : state.phase === 'Pending'
      ? { waiting: { reason: 'ContainerCreating' } }
      : {
          terminated: {
            exitCode: state.phase === 'Succeeded' ? 0 : 1,
            reason: state.phase === 'Succeeded' ? 'Completed' : 'Error',
            startedAt: state.startedAt,
            finishedAt: timestamp(),
          },
        };
  const readyStatus = state.ready ? 'True' : 'False';
  const condition = (type: string, status: string) => ({
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: state.startedAt,
  });
  const status: Record<string, unknown> = {
    phase: state.phase,
    conditions: [
      condition('Initialized', 'True'),
      condition('Ready', readyStatus),
      condition('ContainersReady', readyStatus),
      condition('PodScheduled', 'True'),
    ],
    hostIP: '10.0.0.1',
    startTime: state.startedAt,
    containerStatuses: [
      {
        name: CONTAINER_NAME,
        image: 'busybox',
        imageID: '',
        ready: state.ready,
        started: running,
        restartCount: 0,
        state: containerState,
      },
    ],
    qosClass: 'BestEffort',
  };
  if (state.phase !== 'Pending') status.podIP = state.podIP;
  if (state.phase !== 'Pending') status.podIPs = [{ ip: state.podIP }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      containers: [
        {
          name: CONTAINER_NAME,
          image: 'busybox',
          imagePullPolicy: 'Always',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: 'fake-node',
      schedulerName: 'default-scheduler',
    },
    status,
  };
}

export function configMapJson(metadata: ObjectMeta, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { ...data } };
}

/** A `metav1.Status` as the server writes it for errors. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; kind?: string; causes?: { reason?: string; message: string }[] };
  code: number;
}

export function failure(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

export function notFound(resource: string, name: string): KubeStatus {
  return failure(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
}

export function badRequest(message: string): KubeStatus {
  return failure(400, 'BadRequest', message);
}

export function internalError(message: string): KubeStatus {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}
