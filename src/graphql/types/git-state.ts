import { GIT_CHANGES, type GitDiffFile, type GitStatusEntry } from '../../domain/git-status.js';
import type { GitDiff, GitState } from '../../services/git-state-service.js';
import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';
import { CommandRef } from './command.js';
import { ProjectRef } from './project.js';

export const GitChangeEnum = builder.enumType('GitChange', {
  description: 'How a path differs, in the index or in the work tree.',
  values: describedValues(GIT_CHANGES, {
    ADDED: 'New to git.',
    MODIFIED: 'Content or type changed.',
    DELETED: 'Removed.',
    RENAMED: 'Renamed from `originalPath`.',
    COPIED: 'Copied from `originalPath`.',
    UNTRACKED: 'Not known to git.',
    IGNORED: 'Ignored by a .gitignore rule.',
    CONFLICTED: 'Unmerged: a merge conflict to resolve.',
    UNCHANGED: 'No change on this side.',
  }),
});

export const GitStatusEntryRef = builder.objectRef<GitStatusEntry>('GitStatusEntry').implement({
  description: 'One path git reports on (`git status --porcelain=v2`).',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Relative to the repository root.' }),
    originalPath: t.exposeString('originalPath', {
      nullable: true,
      description: 'Renames and copies: the path it came from.',
    }),
    index: t.field({ type: GitChangeEnum, description: 'The staged change.', resolve: (e) => e.index }),
    worktree: t.field({
      type: GitChangeEnum,
      description: 'The unstaged change.',
      resolve: (e) => e.worktree,
    }),
  }),
});

const GitDiffFileRef = builder.objectRef<GitDiffFile>('GitDiffFile').implement({
  description: 'One file of a diff, from `git diff --numstat`.',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Relative to the repository root.' }),
    originalPath: t.exposeString('originalPath', { nullable: true, description: 'Renames: the old path.' }),
    additions: t.exposeInt('additions', {
      nullable: true,
      description: 'Lines added; null for binary files.',
    }),
    deletions: t.exposeInt('deletions', {
      nullable: true,
      description: 'Lines removed; null for binary files.',
    }),
  }),
});

const GitDiffRef = builder.objectRef<GitDiff>('GitDiff').implement({
  description: 'A diff: the unified text (bounded) and per-file line counts.',
  fields: (t) => ({
    text: t.exposeString('text', { description: 'Unified diff text, cut at `maxBytes`.' }),
    truncated: t.exposeBoolean('truncated', { description: 'True when `text` was cut at `maxBytes`.' }),
    files: t.field({ type: [GitDiffFileRef], description: 'Each changed file.', resolve: (d) => d.files }),
  }),
});

const GitStateRef = builder.objectRef<GitState>('GitState').implement({
  description: "The state of a project's git repository, as git's machine formats report it.",
  fields: (t) => ({
    branch: t.exposeString('branch', {
      nullable: true,
      description: 'The current branch; null when detached.',
    }),
    head: t.exposeString('head', {
      nullable: true,
      description: 'The commit HEAD names; null before the first commit.',
    }),
    upstream: t.exposeString('upstream', {
      nullable: true,
      description: 'The upstream branch, if one is set.',
    }),
    ahead: t.exposeInt('ahead', {
      nullable: true,
      description: 'Commits on the branch not on its upstream.',
    }),
    behind: t.exposeInt('behind', {
      nullable: true,
      description: 'Commits on the upstream not on the branch.',
    }),
    entries: t.field({
      type: [GitStatusEntryRef],
      description: 'Changed, untracked and conflicted paths, by path (hidden paths left out).',
      resolve: (s) => s.entries,
    }),
    diff: t.field({
      type: GitDiffRef,
      authScopes: { scope: 'files:read' },
      description: 'Changes of the work tree against the index, the index (`staged`) or a commit (`base`).',
      args: {
        path: t.arg.string({ required: false, description: 'Only this file or folder.' }),
        staged: t.arg.boolean({ required: false, description: 'The staged changes (`git diff --cached`).' }),
        base: t.arg.string({ required: false, description: 'Compare with this commit, branch or tag.' }),
        maxBytes: t.arg.int({
          required: false,
          description: 'Most bytes of `text`: default 1 MiB, at most 8 MiB.',
        }),
      },
      resolve: (s, args, ctx) => ctx.services.git.diff(ctx.principal, s.projectName, args),
    }),
  }),
});

builder.objectFields(ProjectRef, (t) => ({
  git: t.field({
    type: GitStateRef,
    nullable: true,
    authScopes: { scope: 'files:read' },
    description: 'The git state of the workspace; null when it is not a git repository (needs `files:read`).',
    resolve: (project, _args, ctx) => ctx.services.git.state(ctx.principal, project.name),
  }),
}));

builder.objectFields(CommandRef, (t) => ({
  workspaceChanges: t.field({
    type: [GitStatusEntryRef],
    nullable: true,
    description:
      'What the command changed in its git repository: the status entries that differ between its start and its end (a path back to its committed state shows as UNCHANGED). Null while it runs or outside a repository.',
    resolve: (c) => c.workspaceChanges ?? null,
  }),
}));
