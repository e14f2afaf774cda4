import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { gitArgv } from '../../src/domain/git-args.js';

/** The message of the first issue, which starts with the rule's name. */
function refusal(args: string[]): string {
  try {
    gitArgv(args);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues[0]!.message;
  }
  throw new Error(`accepted ${JSON.stringify(args)}`);
}

describe('gitArgv', () => {
  it('normalises allowed options and puts values after --end-of-options', () => {
    expect(gitArgv(['log', '--oneline', '-n', '5', 'main', '--', 'src/a.ts'])).toEqual([
      'git',
      'log',
      '--oneline',
      '--max-count=5',
      '--end-of-options',
      'main',
      '--',
      'src/a.ts',
    ]);
    expect(gitArgv(['log', '-n5', '-3', '--format=%H %s', '--decorate=short'])).toEqual([
      'git',
      'log',
      '--max-count=5',
      '--max-count=3',
      '--format=%H %s',
      '--decorate=short',
    ]);
    expect(gitArgv(['commit', '-m', '--exec=not an option', '--amend'])).toEqual([
      'git',
      'commit',
      '--message=--exec=not an option',
      '--amend',
    ]);
    expect(gitArgv(['status', '-sb'])).toEqual(['git', 'status', '-s', '-b']);
    expect(gitArgv(['checkout', '-b', 'feature', 'main'])).toEqual([
      'git',
      'checkout',
      '-b',
      'feature',
      'main',
    ]);
    expect(gitArgv(['checkout', '-'])).toEqual(['git', 'checkout', '-']);
    expect(gitArgv(['branch', '-d', 'old'])).toEqual(['git', 'branch', '-d', '--end-of-options', 'old']);
    expect(gitArgv(['push', '-u', 'origin', 'HEAD:refs/heads/x'])).toEqual([
      'git',
      'push',
      '-u',
      'origin',
      'HEAD:refs/heads/x',
    ]);
    expect(gitArgv(['stash', 'list'])).toEqual(['git', 'stash', 'list']);
    expect(gitArgv(['remote', '-v'])).toEqual(['git', 'remote', '-v']);
  });

  it('keeps a user --end-of-options value starting with "-" where git has the marker', () => {
    expect(gitArgv(['log', '--end-of-options', '-h'])).toEqual(['git', 'log', '--end-of-options', '-h']);
    expect(refusal(['checkout', '--end-of-options', '-h'])).toMatch(/^\[git-dash-value\]/);
    expect(refusal(['pull', '--end-of-options', '--upload-pack=x'])).toMatch(/^\[git-refused-option\]/);
  });

  it('refuses dangerous options anywhere, abbreviations included', () => {
    for (const args of [
      ['-c', 'core.sshCommand=touch /tmp/pwned', 'fetch'],
      ['-C', '/etc', 'status'],
      ['--git-dir=/tmp/x', 'log'],
      ['fetch', '--upload-pack=touch /tmp/pwned', 'origin'],
      ['fetch', '--upload-p=x', 'origin'],
      ['push', '--receive-pack', 'x'],
      ['push', '--exec=x'],
      ['pull', '--config-env=core.sshCommand=X'],
      ['log', '--output=/etc/passwd'],
      ['diff', '--ext-diff'],
      ['commit', '-C', 'HEAD'],
      ['log', '--', '-c'],
      ['status', '--work-tree=/'],
    ]) {
      expect(refusal(args)).toMatch(/^\[git-refused-option\]/);
    }
  });

  it('refuses unknown subcommands and options, and values git would read as options', () => {
    expect(refusal(['config', 'core.sshCommand', 'x'])).toMatch(/^\[git-subcommand\].*allowed: status, log/);
    expect(refusal(['stash', 'drop'])).toMatch(/^\[git-subcommand\]/);
    expect(refusal([])).toMatch(/^\[git-subcommand\]/);
    expect(refusal(['log', '-h'])).toMatch(/^\[git-unknown-option\]/);
    expect(refusal(['log', '--help'])).toMatch(/^\[git-unknown-option\]/);
    expect(refusal(['status', '-sx'])).toMatch(/^\[git-unknown-option\]/);
    expect(refusal(['log', '-n'])).toMatch(/^\[git-option-value\]/);
    expect(refusal(['push', 'origin', '--end-of-options', '-f'])).toMatch(/^\[git-dash-value\]/);
    expect(refusal(['log', 'core.pager=id'])).toMatch(/^\[git-config-override\]/);
    expect(refusal(['fetch', 'ext::sh -c id'])).toMatch(/^\[git-remote-name\]/);
    expect(refusal(['pull', '/tmp/other-repo'])).toMatch(/^\[git-remote-name\]/);
    expect(refusal(['push', 'https://example.com/x.git'])).toMatch(/^\[git-remote-name\]/);
    expect(refusal(['remote', 'add', 'x', 'y'])).toMatch(/^\[git-values\]/);
    expect(refusal(['branch', '--', 'x'])).toMatch(/^\[git-paths\]/);
    expect(refusal(['log', 'a\0b'])).toMatch(/^\[git-limits\]/);
    expect(refusal(['log', ...Array.from({ length: 1001 }, () => 'x')])).toMatch(/^\[git-limits\]/);
  });
});

describe('gitArgv with a real git', () => {
  const repo = mkdtempSync(join(tmpdir(), 'rdev-git-args-'));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const git = (argv: string[]) =>
    spawnSync(argv[0]!, argv.slice(1), {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: repo,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });

  it('never lets a value act as an option', () => {
    expect(git(['git', 'init', '-q']).status).toBe(0);
    expect(git(gitArgv(['commit', '--allow-empty', '-m', '-h'])).status).toBe(0);
    expect(git(gitArgv(['log', '--format=%s'])).stdout).toBe('-h\n');
    // `-h` after the marker is a revision (an error), not the help text that `git log -h` prints.
    const ref = git(gitArgv(['log', '--end-of-options', '-h']));
    expect(ref.status).not.toBe(0);
    expect(ref.stdout + ref.stderr).not.toMatch(/usage: git log/);
    const branch = git(gitArgv(['branch', '--end-of-options', '--list']));
    expect(branch.stderr).toMatch(/not a valid branch name/);
  });
});
