import { describe, expect, it } from 'vitest';
import { gitStatusDifference, parseGitNumstat, parseGitStatus } from '../../src/domain/git-status.js';

describe('git machine formats', () => {
  it('parses porcelain v2 with branch headers, renames, conflicts and odd names', () => {
    const out = [
      '# branch.oid 0123456789abcdef0123456789abcdef01234567',
      '# branch.head feature/x',
      '# branch.upstream origin/feature/x',
      '# branch.ab +2 -1',
      '1 .M N... 100644 100644 100644 abc abc with space.txt',
      '2 R. N... 100644 100644 100644 abc abc R100 new.txt',
      'old.txt',
      'u UU N... 100644 100644 100644 100644 a b c both.txt',
      '? line\nbreak.txt',
      '! build/out.js',
      '',
    ].join('\0');
    const status = parseGitStatus(out);
    expect(status).toMatchObject({ branch: 'feature/x', upstream: 'origin/feature/x', ahead: 2, behind: 1 });
    expect(status.entries).toEqual([
      { path: 'both.txt', originalPath: null, index: 'CONFLICTED', worktree: 'CONFLICTED' },
      { path: 'build/out.js', originalPath: null, index: 'IGNORED', worktree: 'IGNORED' },
      { path: 'line\nbreak.txt', originalPath: null, index: 'UNTRACKED', worktree: 'UNTRACKED' },
      { path: 'new.txt', originalPath: 'old.txt', index: 'RENAMED', worktree: 'UNCHANGED' },
      { path: 'with space.txt', originalPath: null, index: 'UNCHANGED', worktree: 'MODIFIED' },
    ]);
    expect(parseGitStatus('# branch.oid (initial)\0# branch.head (detached)\0')).toMatchObject({
      head: null,
      branch: null,
    });
  });

  it('parses numstat with binary files and renames', () => {
    expect(parseGitNumstat('3\t1\ta.txt\0-\t-\timg.png\x000\t0\t\0old.txt\0new.txt\0')).toEqual([
      { path: 'a.txt', originalPath: null, additions: 3, deletions: 1 },
      { path: 'img.png', originalPath: null, additions: null, deletions: null },
      { path: 'new.txt', originalPath: 'old.txt', additions: 0, deletions: 0 },
    ]);
  });

  it('reports what changed between two statuses', () => {
    const e = (path: string, worktree: string) =>
      ({ path, originalPath: null, index: 'UNCHANGED', worktree }) as never;
    expect(
      gitStatusDifference(
        [e('a', 'MODIFIED'), e('b', 'MODIFIED')],
        [e('a', 'MODIFIED'), e('c', 'UNTRACKED')],
      ),
    ).toEqual([e('b', 'UNCHANGED'), e('c', 'UNTRACKED')]);
  });
});
