import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { encodeRunEnvironment, resolveRunCwd, runEnvironmentIssues } from '../../src/domain/run-request.js';
import { shellArgv } from '../../src/domain/shell-argv.js';

function issues(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('no error');
}

describe('shellArgv', () => {
  it('passes argv through and wraps a script in sh -c', () => {
    expect(shellArgv({ argv: ['printf', '%s\n', '; id', '$(id)'] })).toEqual([
      'printf',
      '%s\n',
      '; id',
      '$(id)',
    ]);
    expect(shellArgv({ script: 'echo "$HOME" | wc -c' })).toEqual(['sh', '-c', 'echo "$HOME" | wc -c']);
  });

  it('wants exactly one of argv and script', () => {
    expect(issues(() => shellArgv({}))[0]).toMatchObject({ path: 'argv' });
    expect(issues(() => shellArgv({ argv: ['a'], script: 'b' }))[0]).toMatchObject({ path: 'script' });
    expect(issues(() => shellArgv({ argv: [] }))[0]).toMatchObject({
      path: 'argv',
      message: 'must name a program',
    });
    expect(issues(() => shellArgv({ script: ' ' }))[0]).toMatchObject({ path: 'script' });
  });

  it('bounds argument count and length and refuses NUL', () => {
    const limits = { maxArgs: 3, maxArgLength: 5, maxTotalLength: 8 };
    expect(issues(() => shellArgv({ argv: ['a', 'b', 'c', 'd'] }, limits)).map((i) => i.path)).toEqual([
      'argv',
    ]);
    expect(issues(() => shellArgv({ argv: ['echo', '123456'] }, limits)).map((i) => i.path)).toEqual([
      'argv.1',
      'argv',
    ]);
    expect(issues(() => shellArgv({ script: '123456' }, limits))[0]).toMatchObject({ path: 'script' });
    expect(issues(() => shellArgv({ argv: ['echo', 'a\0b'] }))[0]).toMatchObject({ path: 'argv.1' });
  });
});

describe('resolveRunCwd', () => {
  it('resolves inside the workspace and refuses escapes', () => {
    expect(resolveRunCwd('/ws/p/', undefined)).toBe('/ws/p');
    expect(resolveRunCwd('/ws/p', 'src/./lib/../app')).toBe('/ws/p/src/app');
    expect(resolveRunCwd('/ws/p', 'a/..')).toBe('/ws/p');
    expect(issues(() => resolveRunCwd('/ws/p', '../q'))[0]).toMatchObject({ path: 'cwd' });
    expect(issues(() => resolveRunCwd('/ws/p', 'a/../../q'))[0]).toMatchObject({ path: 'cwd' });
    expect(issues(() => resolveRunCwd('/ws/p', '/etc'))[0]).toMatchObject({ path: 'cwd' });
    expect(issues(() => resolveRunCwd('/ws/p', '.rdev/runs'))[0]).toMatchObject({ path: 'cwd' });
    expect(issues(() => resolveRunCwd('relative', undefined))[0]).toMatchObject({ path: 'workspacePath' });
  });
});

describe('run environment', () => {
  it('encodes NAME=VALUE lines and refuses names and values the supervisor could not carry', () => {
    expect(encodeRunEnvironment({ A: '1', _B2: 'x=y $(id)' })).toBe('A=1\n_B2=x=y $(id)\n');
    expect(runEnvironmentIssues({ '1A': 'x', 'A-B': 'x', C: 'a\nb', D: 'ok' }).map((i) => i.path)).toEqual([
      'env.1A',
      'env.A-B',
      'env.C',
    ]);
  });
});
