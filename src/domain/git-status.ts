/**
 * A repository's state as git's machine formats report it: `git status --porcelain=v2 --branch -z`
 * and `git diff --numstat -z`. Never parsed from human output, whose wording changes with the
 * version and the locale.
 */

export const GIT_CHANGES = [
  'ADDED',
  'MODIFIED',
  'DELETED',
  'RENAMED',
  'COPIED',
  'UNTRACKED',
  'IGNORED',
  'CONFLICTED',
  'UNCHANGED',
] as const;
export type GitChange = (typeof GIT_CHANGES)[number];

/** One path git reports on, with its change in the index (staged) and in the work tree. */
export interface GitStatusEntry {
  path: string;
  /** Renames and copies: where it came from. */
  originalPath: string | null;
  index: GitChange;
  worktree: GitChange;
}

export interface GitStatus {
  /** `null` when HEAD is detached. */
  branch: string | null;
  /** `null` before the first commit. */
  head: string | null;
  upstream: string | null;
  ahead: number | null;
  behind: number | null;
  entries: GitStatusEntry[];
}

/** One file of a diff's `--numstat`: `null` counts for binary files. */
export interface GitDiffFile {
  path: string;
  originalPath: string | null;
  additions: number | null;
  deletions: number | null;
}

const XY: Record<string, GitChange> = {
  '.': 'UNCHANGED',
  M: 'MODIFIED',
  T: 'MODIFIED',
  A: 'ADDED',
  D: 'DELETED',
  R: 'RENAMED',
  C: 'COPIED',
  U: 'CONFLICTED',
};

/** Parses `git status --porcelain=v2 --branch -z`. */
export function parseGitStatus(output: string): GitStatus {
  const status: GitStatus = {
    branch: null,
    head: null,
    upstream: null,
    ahead: null,
    behind: null,
    entries: [],
  };
  const records = output.split('\0');
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record === '') continue;
    if (record.startsWith('# ')) {
      const [, key, ...rest] = record.split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') status.head = value === '(initial)' ? null : value;
      else if (key === 'branch.head') status.branch = value === '(detached)' ? null : value;
      else if (key === 'branch.upstream') status.upstream = value;
      else if (key === 'branch.ab') {
        const m = /^\+(\d+) -(\d+)$/.exec(value);
        if (m) {
          status.ahead = Number(m[1]);
          status.behind = Number(m[2]);
        }
      }
      continue;
    }
    const kind = record[0];
    if (kind === '?' || kind === '!') {
      const change: GitChange = kind === '?' ? 'UNTRACKED' : 'IGNORED';
      status.entries.push({ path: record.slice(2), originalPath: null, index: change, worktree: change });
      continue;
    }
    // Fields before the path: 1 → 8, 2 → 9 (then the original path as the next record), u → 10.
    const fieldsBefore = kind === '1' ? 8 : kind === '2' ? 9 : kind === 'u' ? 10 : -1;
    if (fieldsBefore === -1) continue;
    const parts = record.split(' ');
    const xy = parts[1] ?? '..';
    const path = parts.slice(fieldsBefore).join(' ');
    const originalPath = kind === '2' ? (records[++i] ?? null) : null;
    const conflicted = kind === 'u';
    status.entries.push({
      path,
      originalPath,
      index: conflicted ? 'CONFLICTED' : (XY[xy[0]!] ?? 'MODIFIED'),
      worktree: conflicted ? 'CONFLICTED' : (XY[xy[1]!] ?? 'MODIFIED'),
    });
  }
  status.entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return status;
}

/** Parses `git diff --numstat -z`. */
export function parseGitNumstat(output: string): GitDiffFile[] {
  const files: GitDiffFile[] = [];
  const records = output.split('\0');
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(record);
    if (!m) continue;
    const count = (text: string) => (text === '-' ? null : Number(text));
    if (m[3] === '') {
      // A rename or copy: the old and the new path follow as their own records.
      const originalPath = records[++i] ?? '';
      const path = records[++i] ?? '';
      files.push({ path, originalPath, additions: count(m[1]!), deletions: count(m[2]!) });
    } else {
      files.push({ path: m[3]!, originalPath: null, additions: count(m[1]!), deletions: count(m[2]!) });
    }
  }
  return files;
}

/**
 * What changed between two statuses of one repository: entries that are new or different in
 * `after`, and entries of `before` that are gone (reported as `UNCHANGED`, which means the path
 * went back to its committed state).
 */
export function gitStatusDifference(before: GitStatusEntry[], after: GitStatusEntry[]): GitStatusEntry[] {
  const key = (e: GitStatusEntry) => `${e.index}|${e.worktree}|${e.originalPath ?? ''}`;
  const old = new Map(before.map((e) => [e.path, e]));
  const changed: GitStatusEntry[] = [];
  for (const entry of after) {
    const previous = old.get(entry.path);
    if (!previous || key(previous) !== key(entry)) changed.push(entry);
    old.delete(entry.path);
  }
  for (const gone of old.values()) {
    changed.push({ path: gone.path, originalPath: null, index: 'UNCHANGED', worktree: 'UNCHANGED' });
  }
  return changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
