import type { WorkspaceFileRules } from './workspace-file.js';

/**
 * Projects: the workspaces commands run in. In production a project is a Kubernetes pod found by
 * label; on a laptop it is a folder. Both sources describe a project with the same shape and read
 * its settings with the same rules, so the rest of rdev never asks where a project lives.
 */

/** What state a project's workspace is in. Only RUNNING projects accept work right away. */
export const PROJECT_STATUSES = ['RUNNING', 'PENDING', 'FAILED', 'UNKNOWN'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** The kinds of command rdev runs. A project's policy lists the ones it allows. */
export const COMMAND_TYPES = ['CLAUDE', 'SHELL', 'GIT'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export const DEFAULT_MAX_CONCURRENT_COMMANDS = 5;
/** Upper bound for `max_concurrent_commands`, so a typo cannot let one project swamp a replica. */
export const MAX_CONCURRENT_COMMANDS_LIMIT = 100;
export const MAX_PROJECT_NAME_LENGTH = 63;
export const MAX_PROJECT_DESCRIPTION_LENGTH = 1000;

/** A project as rdev sees it now. */
export interface Project {
  /** Unique; a DNS label (see {@link projectNameProblem}). */
  name: string;
  description: string | null;
  status: ProjectStatus;
  /** The pod backing the project (Kubernetes), `null` for a local folder or a pod not found yet. */
  podName: string | null;
  /** The pod's namespace (Kubernetes), `null` locally. */
  namespace: string | null;
  /** The container commands run in (Kubernetes), `null` when unknown or local. */
  container: string | null;
  /** Absolute path of the workspace: inside the pod, or on this machine. */
  workspacePath: string;
  /** The pod's labels (Kubernetes); empty locally. */
  labels: Readonly<Record<string, string>>;
  /** Command types the project's policy allows; empty means none. */
  allowedCommandTypes: readonly CommandType[];
  maxConcurrentCommands: number;
  /** `false`: the local sandbox cuts the project's commands off the network. Absent: network kept. */
  sandboxNetwork?: boolean;
  /** Paths the file API hides or keeps read-only, besides the fixed ones. Absent: none. */
  fileRules?: WorkspaceFileRules;
  /** When the source last observed the project. */
  lastSeenAt: Date;
  /** Problems with the project's settings or discovery, for a person to fix. Never secret. */
  warnings: readonly string[];
}

/**
 * A problem found while reading project settings or discovering projects: one bad entry, reported
 * on its own so the others still apply.
 */
export interface ProjectConfigProblem {
  /** Where it was found, e.g. `configmap/rdev-projects`, `pod/web-0`, `file/rdev-projects.yaml`. */
  source: string;
  /** The entry in that source (a ConfigMap key, a folder name, a pod name). */
  entry: string;
  /** The project it affects, when one could be named. */
  project: string | null;
  message: string;
}

/** What happened to a project: it appeared, its description changed, or it went away. */
export const PROJECT_EVENT_TYPES = ['DISCOVERED', 'CHANGED', 'REMOVED'] as const;
export type ProjectEventType = (typeof PROJECT_EVENT_TYPES)[number];

export interface ProjectEvent {
  type: ProjectEventType;
  /** The project after the change; for REMOVED, as it was last seen. */
  project: Project;
  at: Date;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot be a project name, or `null` when it can. */
export function projectNameProblem(name: string): string | null {
  if (name.length === 0) return 'a project name must not be empty';
  if (name.length > MAX_PROJECT_NAME_LENGTH) {
    return `a project name has at most ${MAX_PROJECT_NAME_LENGTH} characters`;
  }
  if (!DNS_LABEL.test(name)) {
    return 'a project name uses lower-case letters, digits and "-", and starts and ends with a letter or digit';
  }
  return null;
}

export function isValidProjectName(name: string): boolean {
  return projectNameProblem(name) === null;
}

/**
 * A project's status from its pod: RUNNING only when the pod runs and is Ready, PENDING while it
 * is scheduled or starting, FAILED once its containers stopped, UNKNOWN when the node lost contact
 * or the pod is being deleted (commands must not start in a pod about to go away).
 */
export function projectStatusFromPod(pod: {
  phase: string | undefined;
  ready: boolean;
  terminating: boolean;
}): ProjectStatus {
  if (pod.terminating) return 'UNKNOWN';
  switch (pod.phase) {
    case 'Running':
      return pod.ready ? 'RUNNING' : 'PENDING';
    case 'Pending':
      return 'PENDING';
    case 'Succeeded':
    case 'Failed':
      return 'FAILED';
    default:
      return 'UNKNOWN';
  }
}

/** True when two views of a project differ in anything but `lastSeenAt`. */
export function projectChanged(a: Project, b: Project): boolean {
  return projectFingerprint(a) !== projectFingerprint(b);
}

function projectFingerprint(p: Project): string {
  const labels = Object.keys(p.labels)
    .sort()
    .map((k) => [k, p.labels[k]]);
  return JSON.stringify([
    p.name,
    p.description,
    p.status,
    p.podName,
    p.namespace,
    p.container,
    p.workspacePath,
    labels,
    p.allowedCommandTypes,
    p.maxConcurrentCommands,
    p.sandboxNetwork ?? true,
    p.fileRules ?? null,
    p.warnings,
  ]);
}

/** The project rules every source applies: settings override what the source found. */
export interface ProjectSettings {
  description?: string;
  /** Labels the project's pod must carry (Kubernetes only). */
  podSelector?: Readonly<Record<string, string>>;
  workspace?: string;
  allowedCommands?: readonly CommandType[];
  maxConcurrentCommands?: number;
  /** Local sandbox only: `false` gives commands no network. */
  sandboxNetwork?: boolean;
  /** Paths the file API hides or keeps read-only. */
  files?: WorkspaceFileRules;
}

/** Whether the project's policy allows `type`. */
export function projectAllows(project: Project, type: CommandType): boolean {
  return project.allowedCommandTypes.includes(type);
}
