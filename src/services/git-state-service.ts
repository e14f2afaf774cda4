import { requireProjectAccess, requireScope } from '../domain/authorization.js';
import { NotFoundError, RuntimeUnavailableError, ValidationError } from '../domain/errors.js';
import {
  type GitDiffFile,
  type GitStatus,
  type GitStatusEntry,
  parseGitNumstat,
  parseGitStatus,
} from '../domain/git-status.js';
import { type Principal, systemPrincipal } from '../domain/principal.js';
import type { Project } from '../domain/project.js';
import { normaliseWorkspacePath, workspacePathAccess } from '../domain/workspace-file.js';
import { workspaceTarget } from '../engine/workspace-target.js';
import type { ExecTransport } from '../ports/exec-transport.js';
import type { ClaudeConfigProjectLookup } from './claude-config-service.js';

const SYSTEM = systemPrincipal('git-state');
/** Largest status output read; a work tree with more changes than this is cut off. */
const MAX_STATUS_BYTES = 8 * 1024 * 1024;
const DEFAULT_DIFF_BYTES = 1024 * 1024;
const MAX_DIFF_BYTES = 8 * 1024 * 1024;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/@{}~^:-]{0,199}$/;

/**
 * git never runs the repository's own programs for a read: no fsmonitor, no hooks, no external
 * diff or textconv; `--no-optional-locks` keeps a read from writing the index.
 */
const GIT = [
  'git',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.quotePath=false',
  '--no-optional-locks',
];

export interface GitStateServiceDeps {
  projects: ClaudeConfigProjectLookup;
  /** Runs git in the workspace: a child process locally, exec in the pod on Kubernetes. */
  exec: ExecTransport;
}

export interface GitState extends GitStatus {
  projectName: string;
}

export interface GitDiff {
  text: string;
  truncated: boolean;
  files: GitDiffFile[];
}

/**
 * A project's repository state for clients (scope `files:read` and a grant of the project):
 * status and diffs, from git's machine formats. Hidden paths are left out.
 */
export class GitStateService {
  constructor(private readonly deps: GitStateServiceDeps) {}

  /** The repository's state, or `null` when the workspace is not a git repository. */
  async state(caller: Principal | null, projectName: string): Promise<GitState | null> {
    const project = await this.project(caller, projectName);
    const status = await this.status(project);
    return status ? { ...status, projectName: project.name } : null;
  }

  /** The status as the system sees it (commands record it at start and end); `null` outside a repository. */
  async status(project: Project): Promise<GitStatus | null> {
    const run = await this.git(
      project,
      ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all'],
      MAX_STATUS_BYTES,
    );
    if (run.exitCode !== 0) {
      if (/not a git repository/i.test(run.stderr)) return null;
      throw new RuntimeUnavailableError(
        `git status failed in project "${project.name}": ${run.stderr.trim()}`,
        {
          project: project.name,
        },
      );
    }
    const status = parseGitStatus(run.stdout.toString('utf8'));
    status.entries = status.entries.filter((e) => visible(project, e));
    return status;
  }

  async diff(
    caller: Principal | null,
    projectName: string,
    options: {
      path?: string | null;
      staged?: boolean | null;
      base?: string | null;
      maxBytes?: number | null;
    },
  ): Promise<GitDiff> {
    const project = await this.project(caller, projectName);
    const maxBytes = options.maxBytes ?? DEFAULT_DIFF_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_DIFF_BYTES) {
      throw new ValidationError([{ path: 'maxBytes', message: `must be between 0 and ${MAX_DIFF_BYTES}` }]);
    }
    const args = ['diff', '--no-ext-diff', '--no-textconv', '--no-color'];
    if (options.staged) args.push('--cached');
    // Output options come first: everything after --end-of-options is a revision.
    const revisions: string[] = [];
    if (options.base != null) {
      if (!REVISION.test(options.base)) {
        throw new ValidationError([{ path: 'base', message: 'must be a commit, branch or tag name' }]);
      }
      revisions.push('--end-of-options', options.base);
    }
    const tail = ['--'];
    if (options.path != null) {
      const normal = normaliseWorkspacePath(options.path, true);
      if ('problem' in normal) throw new ValidationError([{ path: 'path', message: normal.problem }]);
      // A literal path: no pathspec magic such as `:(glob)` or `:!`.
      tail.push(`:(literal)${normal.path || '.'}`);
    }
    const numstat = await this.git(
      project,
      [...args, '--numstat', '-z', ...revisions, ...tail],
      MAX_STATUS_BYTES,
    );
    if (numstat.exitCode !== 0) {
      throw new ValidationError([
        { path: 'base', message: `git diff failed: ${numstat.stderr.trim().slice(0, 300)}` },
      ]);
    }
    const text = await this.git(project, [...args, '-p', ...revisions, ...tail], maxBytes);
    const files = parseGitNumstat(numstat.stdout.toString('utf8')).filter((f) =>
      visible(project, { path: f.path, originalPath: f.originalPath }),
    );
    return { text: text.stdout.toString('utf8'), truncated: text.truncated, files };
  }

  private async project(caller: Principal | null, name: string): Promise<Project> {
    requireScope(caller, 'files:read');
    requireProjectAccess(caller, name);
    const project = await this.deps.projects.find(SYSTEM, name);
    if (!project) throw new NotFoundError('Project', name);
    return project;
  }

  /** Runs git, keeping at most `limit` bytes of stdout (then stops it: `truncated`). */
  private async git(project: Project, args: string[], limit: number) {
    const run = await this.deps.exec.exec(workspaceTarget(project), [...GIT, ...args]);
    const parts: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of run.stdout) {
      const room = limit - size;
      if (chunk.length > room) {
        parts.push(Buffer.from(chunk.subarray(0, room)));
        size = limit;
        truncated = true;
        run.close();
        break;
      }
      parts.push(Buffer.from(chunk));
      size += chunk.length;
    }
    const outcome = await run.done;
    if (truncated) return { stdout: Buffer.concat(parts), exitCode: 0, stderr: '', truncated };
    if (outcome.kind !== 'exited') {
      throw new RuntimeUnavailableError(
        `git could not run in project "${project.name}": ${outcome.message}`,
        {
          project: project.name,
        },
      );
    }
    return { stdout: Buffer.concat(parts), exitCode: outcome.exitCode, stderr: outcome.stderr, truncated };
  }
}

function visible(project: Project, entry: Pick<GitStatusEntry, 'path' | 'originalPath'>): boolean {
  return (
    workspacePathAccess(project.fileRules, entry.path) !== 'hidden' &&
    (entry.originalPath === null || workspacePathAccess(project.fileRules, entry.originalPath) !== 'hidden')
  );
}
