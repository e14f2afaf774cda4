import {
  COMMAND_TYPES,
  DEFAULT_MAX_CONCURRENT_COMMANDS,
  MAX_PROJECT_DESCRIPTION_LENGTH,
  type Project,
  type ProjectConfigProblem,
  projectNameProblem,
  projectStatusFromPod,
} from '../../domain/project.js';
import { readProjectSettingsYaml, type SettingsRead } from '../yaml/project-settings.js';

/** The parts of a pod that say which project it is and how it is doing. */
export interface PodLike {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: Date | string;
    deletionTimestamp?: Date | string;
  };
  spec?: { containers?: { name?: string }[] };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

export interface KubeProjectRules {
  namespace: string;
  /** Label and annotation prefix, e.g. `rdev.orchard9.ai`. */
  prefix: string;
  configMapName: string;
  /** Where the workspace is when nothing says otherwise. */
  defaultWorkspace: string;
}

interface Group {
  name: string;
  pods: PodLike[];
  entry?: SettingsRead;
  /** Pods labelled for this project that its `pod_selector` leaves out. */
  unmatched: string[];
}

/**
 * Turns the labelled pods and the `rdev-projects` ConfigMap into projects. A ConfigMap entry
 * (keyed by project name) overrides what labels and annotations say; its `pod_selector`, when set,
 * decides which labelled pods belong to it. Every bad entry, label or duplicate is reported on its
 * own and the rest still applies.
 */
export function buildKubeProjects(
  pods: PodLike[],
  configMapData: Record<string, string> | null,
  rules: KubeProjectRules,
  now: Date,
): { projects: Project[]; problems: ProjectConfigProblem[] } {
  const problems: ProjectConfigProblem[] = [];
  const groups = new Map<string, Group>();
  const selectorClaimed = new Set<PodLike>();
  const source = `configmap/${rules.configMapName}`;
  const byName = [...pods].sort((a, b) => cmp(podName(a), podName(b)));

  for (const key of Object.keys(configMapData ?? {}).sort()) {
    const nameProblem = projectNameProblem(key);
    if (nameProblem) {
      problems.push({
        source,
        entry: key,
        project: null,
        message: `the key is not a project name: ${nameProblem}`,
      });
      continue;
    }
    const entry = readProjectSettingsYaml(configMapData![key]!);
    for (const message of entry.problems) problems.push({ source, entry: key, project: key, message });
    const group: Group = { name: key, pods: [], entry, unmatched: [] };
    const selector = entry.settings.podSelector;
    if (selector) {
      group.pods = byName.filter((p) => matches(p.metadata?.labels ?? {}, selector));
      for (const pod of group.pods) selectorClaimed.add(pod);
    }
    groups.set(key, group);
  }

  for (const pod of byName) {
    if (selectorClaimed.has(pod)) continue;
    const name = pod.metadata?.labels?.[`${rules.prefix}/name`] ?? podName(pod);
    const nameProblem = projectNameProblem(name);
    if (nameProblem) {
      problems.push({
        source: `pod/${podName(pod)}`,
        entry: podName(pod),
        project: null,
        message: `project name "${name}" (label ${rules.prefix}/name or the pod name) is not valid: ${nameProblem}`,
      });
      continue;
    }
    let group = groups.get(name);
    if (!group) {
      group = { name, pods: [], unmatched: [] };
      groups.set(name, group);
    }
    if (group.entry?.settings.podSelector) group.unmatched.push(podName(pod));
    else group.pods.push(pod);
  }

  const projects = [...groups.values()]
    .sort((a, b) => cmp(a.name, b.name))
    .map((group) => toProject(group, rules, now, problems));
  return { projects, problems };
}

function toProject(
  group: Group,
  rules: KubeProjectRules,
  now: Date,
  problems: ProjectConfigProblem[],
): Project {
  const warnings = [...(group.entry?.problems ?? []).map((m) => `${rules.configMapName}: ${m}`)];
  const ranked = [...group.pods].sort(byPreference);
  const pod = ranked[0];
  const live = ranked.filter((p) => !p.metadata?.deletionTimestamp);
  if (live.length > 1) {
    const message = `${live.length} pods claim project "${group.name}" (${live.map(podName).join(', ')}); using ${podName(pod!)}`;
    warnings.push(message);
    problems.push({
      source: `pod/${podName(live[1]!)}`,
      entry: podName(live[1]!),
      project: group.name,
      message,
    });
  }
  if (group.unmatched.length > 0) {
    warnings.push(
      `pods labelled for this project but outside its pod_selector are ignored: ${group.unmatched.join(', ')}`,
    );
  }
  if (!pod) warnings.push('no pod of this project was found');

  const labels = pod?.metadata?.labels ?? {};
  const annotations = pod?.metadata?.annotations ?? {};
  const settings = group.entry?.settings ?? {};
  const annotatedWorkspace = annotations[`${rules.prefix}/workspace`] ?? labels[`${rules.prefix}/workspace`];
  let workspacePath = settings.workspace ?? rules.defaultWorkspace;
  if (!settings.workspace && annotatedWorkspace !== undefined) {
    if (isAbsoluteCleanPath(annotatedWorkspace)) workspacePath = annotatedWorkspace;
    else {
      warnings.push(
        `${rules.prefix}/workspace "${annotatedWorkspace}" is not an absolute path; using ${rules.defaultWorkspace}`,
      );
    }
  }
  const description =
    settings.description ??
    annotations[`${rules.prefix}/description`]?.slice(0, MAX_PROJECT_DESCRIPTION_LENGTH);
  const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return {
    name: group.name,
    description: description ?? null,
    status: pod
      ? projectStatusFromPod({
          phase: pod.status?.phase,
          ready,
          terminating: Boolean(pod.metadata?.deletionTimestamp),
        })
      : 'UNKNOWN',
    podName: pod ? podName(pod) : null,
    namespace: rules.namespace,
    container: annotations[`${rules.prefix}/container`] ?? pod?.spec?.containers?.[0]?.name ?? null,
    workspacePath,
    labels: { ...labels },
    allowedCommandTypes: settings.allowedCommands ?? [...COMMAND_TYPES],
    maxConcurrentCommands: settings.maxConcurrentCommands ?? DEFAULT_MAX_CONCURRENT_COMMANDS,
    ...(settings.files ? { fileRules: settings.files } : {}),
    lastSeenAt: now,
    warnings,
  };
}

/** Ready pods first, then others not being deleted, then the newest; the name breaks ties. */
function byPreference(a: PodLike, b: PodLike): number {
  return score(b) - score(a) || created(b) - created(a) || cmp(podName(a), podName(b));
}

function score(p: PodLike): number {
  if (p.metadata?.deletionTimestamp) return 0;
  const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return p.status?.phase === 'Running' && ready ? 2 : 1;
}

function created(p: PodLike): number {
  const t = p.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() || 0 : 0;
}

function podName(p: PodLike): string {
  return p.metadata?.name ?? '';
}

function matches(labels: Record<string, string>, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function isAbsoluteCleanPath(p: string): boolean {
  return p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..') && p.length <= 4096;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
