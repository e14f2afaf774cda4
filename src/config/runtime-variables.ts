import { resolve } from 'node:path';
import { z } from 'zod';
import { int } from './parsers.js';
import { type FieldContext, type Values, variable } from './variable.js';

/** Where commands run and where projects come from. */
export const RUNTIME_VARIABLES = {
  RDEV_RUNTIME: variable({
    field: 'runtime',
    schema: z.enum(['local', 'kubernetes'], { message: 'must be "local" or "kubernetes"' }),
    default: 'local',
    doc: 'Where commands run: folders on this machine, or pods.',
  }),
  RDEV_WORKSPACES_DIR: variable({
    field: 'workspacesDir',
    schema: z.string().min(1),
    default: './workspaces',
    doc: 'Local runtime: each sub-folder is a project.',
    as: (dir, { path }) => path(dir),
  }),
  RDEV_LOCAL_SANDBOX: variable({
    field: 'localSandbox',
    schema: z.enum(['none', 'bwrap'], { message: 'must be "none" or "bwrap"' }),
    default: 'none',
    doc: "Local runtime: `bwrap` runs each command in a bubblewrap sandbox (its project's folder read-write, system folders read-only, a private /tmp, its own /proc and PID namespace; no other project, no rdev data folder, no view of rdev's process; network kept). `none` runs commands as rdev's own user with no isolation: any command can read every project's folder, rdev's data folder and rdev's environment (`/proc/<pid>/environ`); rdev warns at start.",
  }),
  RDEV_NAMESPACE: variable({
    field: 'namespace',
    schema: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a Kubernetes namespace name' }),
    doc: "Kubernetes runtime: namespace where project pods are discovered (default: the pod's own namespace).",
  }),
  KUBECONFIG: variable({
    field: 'kubeconfigPath',
    schema: z.string().min(1),
    doc: "Kubernetes runtime: kubeconfig file to use. Unset: the pod's service account in a cluster, else `~/.kube/config`.",
    as: (file, { path }) => path(file),
  }),
  RDEV_LABEL_PREFIX: variable({
    field: 'projects.labelPrefix',
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
      message: 'must be a DNS subdomain such as rdev.orchard9.ai',
    }),
    default: 'rdev.orchard9.ai',
    doc: 'Kubernetes runtime: prefix of the labels and annotations rdev reads (`<prefix>/project=true`, `<prefix>/name`, `<prefix>/workspace`, `<prefix>/description`).',
  }),
  RDEV_PROJECTS_CONFIGMAP: variable({
    field: 'projects.configMapName',
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'must be a ConfigMap name' }),
    default: 'rdev-projects',
    doc: 'Kubernetes runtime: ConfigMap holding one YAML document of settings per project; it overrides labels.',
  }),
  RDEV_PROJECTS_FILE: variable({
    schema: z.string().min(1),
    doc: 'Local runtime: YAML file of project settings (the ConfigMap format, as a map of project names). Default: `rdev-projects.yaml` in `RDEV_WORKSPACES_DIR`.',
  }),
  RDEV_PROJECT_CACHE_TTL_MS: variable({
    field: 'projects.cacheTtlMs',
    schema: int(100, 3_600_000),
    default: '30000',
    doc: 'How long the project list is served from cache before the runtime is asked again (watches update it sooner).',
  }),
  RDEV_PROJECT_RESYNC_MS: variable({
    field: 'projects.resyncMs',
    schema: int(1000, 86_400_000),
    default: '300000',
    doc: 'Kubernetes runtime: full relist of pods and the ConfigMap this often, in case a watch silently stops.',
  }),
  RDEV_LOCAL_RESCAN_MS: variable({
    field: 'projects.localRescanMs',
    schema: int(100, 3_600_000),
    default: '10000',
    doc: 'Local runtime: rescan of the workspaces folder this often, in case a file-system event is missed.',
  }),
  RDEV_KUBE_API_TIMEOUT_MS: variable({
    field: 'kubeApi.timeoutMs',
    schema: int(100, 300_000),
    default: '5000',
    doc: 'Time limit of one Kubernetes API call (watches and exec: until the stream is established).',
  }),
  RDEV_KUBE_BREAKER_FAILURES: variable({
    field: 'kubeApi.breakerFailures',
    schema: int(1, 1000),
    default: '5',
    doc: 'Consecutive Kubernetes API failures (5xx, timeouts, connection errors; never 4xx) that open the circuit breaker.',
  }),
  RDEV_KUBE_BREAKER_OPEN_MS: variable({
    field: 'kubeApi.breakerOpenMs',
    schema: int(100, 3_600_000),
    default: '10000',
    doc: 'How long the circuit breaker stays open before one probe call is let through.',
  }),
};

/** The projects file: the one named, else `rdev-projects.yaml` in the workspaces folder. */
export function combinedRuntimeSettings(v: Values<typeof RUNTIME_VARIABLES>, { path }: FieldContext) {
  return {
    projects: {
      projectsFile: v.RDEV_PROJECTS_FILE
        ? path(v.RDEV_PROJECTS_FILE)
        : resolve(path(v.RDEV_WORKSPACES_DIR), 'rdev-projects.yaml'),
    },
  };
}
