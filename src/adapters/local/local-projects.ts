import { join } from 'node:path';
import {
  COMMAND_TYPES,
  DEFAULT_MAX_CONCURRENT_COMMANDS,
  type Project,
  type ProjectConfigProblem,
  projectNameProblem,
} from '../../domain/project.js';
import { readProjectsFile, type SettingsRead } from '../yaml/project-settings.js';

/**
 * Turns the sub-folders of the workspaces folder and the optional projects file into projects.
 * Each folder is a project named after it; the file's entry of the same name sets its policy.
 * Bad folder names, bad entries and entries without a folder are reported one by one.
 */
export function buildLocalProjects(
  workspacesDir: string,
  folders: string[],
  projectsFile: { name: string; text: string } | null,
  now: Date,
): { projects: Project[]; problems: ProjectConfigProblem[] } {
  const problems: ProjectConfigProblem[] = [];
  const fileSource = projectsFile ? `file/${projectsFile.name}` : '';
  const file = projectsFile
    ? readProjectsFile(projectsFile.text)
    : { entries: new Map<string, SettingsRead>(), duplicates: [] as string[], fileProblem: null };
  if (projectsFile && file.fileProblem) {
    problems.push({
      source: fileSource,
      entry: projectsFile.name,
      project: null,
      message: `${file.fileProblem}; no command is allowed in any project until it is fixed`,
    });
  }
  for (const name of file.duplicates) {
    problems.push({
      source: fileSource,
      entry: name,
      project: name,
      message: `project "${name}" is defined more than once; the first definition is used`,
    });
  }

  const projects: Project[] = [];
  const valid = new Set<string>();
  for (const folder of [...folders].sort()) {
    const nameProblem = projectNameProblem(folder);
    if (nameProblem) {
      problems.push({
        source: `folder/${folder}`,
        entry: folder,
        project: null,
        message: `the folder name is not a project name: ${nameProblem}`,
      });
      continue;
    }
    valid.add(folder);
    const entry = file.entries.get(folder);
    const warnings: string[] = [];
    for (const message of entry?.problems ?? []) {
      problems.push({ source: fileSource, entry: folder, project: folder, message });
      warnings.push(`${projectsFile!.name}: ${message}`);
    }
    if (file.duplicates.includes(folder))
      warnings.push(`${projectsFile!.name}: defined more than once; the first definition is used`);
    const settings = entry?.settings ?? {};
    if (settings.podSelector) warnings.push('pod_selector applies to pods only and is ignored for a folder');
    if (settings.workspace)
      warnings.push('workspace applies to pods only: the folder itself is the workspace');
    projects.push({
      name: folder,
      description: settings.description ?? null,
      status: 'RUNNING',
      podName: null,
      namespace: null,
      container: null,
      workspacePath: join(workspacesDir, folder),
      labels: {},
      // A projects file that cannot be read at all fails closed, like a bad entry does.
      allowedCommandTypes: file.fileProblem ? [] : (settings.allowedCommands ?? [...COMMAND_TYPES]),
      maxConcurrentCommands: settings.maxConcurrentCommands ?? DEFAULT_MAX_CONCURRENT_COMMANDS,
      ...(settings.sandboxNetwork !== undefined ? { sandboxNetwork: settings.sandboxNetwork } : {}),
      ...(settings.files ? { fileRules: settings.files } : {}),
      lastSeenAt: now,
      warnings: file.fileProblem ? [...warnings, `${projectsFile!.name}: ${file.fileProblem}`] : warnings,
    });
  }
  for (const name of file.entries.keys()) {
    if (!valid.has(name)) {
      problems.push({
        source: fileSource,
        entry: name,
        project: null,
        message: `there is no folder "${name}" in ${workspacesDir}; the entry has no effect`,
      });
    }
  }
  return { projects, problems };
}
