import { describe, expect, it } from 'vitest';
import { readProjectSettingsYaml } from '../../src/adapters/yaml/project-settings.js';
import { globMatches, normaliseWorkspacePath, workspacePathAccess } from '../../src/domain/workspace-file.js';

describe('workspace file paths and rules', () => {
  it('normalises relative paths and refuses escapes, absolute paths and NUL', () => {
    expect(normaliseWorkspacePath('a//b/./c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(normaliseWorkspacePath('', true)).toEqual({ path: '' });
    expect(normaliseWorkspacePath('./', true)).toEqual({ path: '' });
    for (const bad of ['', '.', '../x', 'a/../../x', '/etc/passwd', 'a\0b', `${'x'.repeat(256)}/y`]) {
      expect(normaliseWorkspacePath(bad), bad).toHaveProperty('problem');
    }
  });

  it('matches globs by path segment, and dir/** also matches the folder itself', () => {
    expect(globMatches('.rdev/**', '.rdev')).toBe(true);
    expect(globMatches('.rdev/**', '.rdev/runs/x/out')).toBe(true);
    expect(globMatches('.rdev/**', '.rdevx')).toBe(false);
    expect(globMatches('*.key', 'a.key')).toBe(true);
    expect(globMatches('*.key', 'dir/a.key')).toBe(false);
    expect(globMatches('**/*.key', 'dir/sub/a.key')).toBe(true);
    expect(globMatches('**/*.key', 'a.key')).toBe(true);
    expect(globMatches('secret?.txt', 'secret1.txt')).toBe(true);
    expect(globMatches('a.b', 'axb')).toBe(false);
  });

  it('hides .rdev and keeps .git read-only in every project, plus what the settings add', () => {
    expect(workspacePathAccess(undefined, '.rdev/runs')).toBe('hidden');
    expect(workspacePathAccess(undefined, '.git/config')).toBe('read-only');
    expect(workspacePathAccess(undefined, 'src/a.ts')).toBe('open');
    const rules = { readOnly: ['vendor/**'], hidden: ['**/*.pem'] };
    expect(workspacePathAccess(rules, 'vendor/lib.js')).toBe('read-only');
    expect(workspacePathAccess(rules, 'certs/server.pem')).toBe('hidden');
  });

  it('reads the files setting from project YAML and reports a bad glob', () => {
    const read = readProjectSettingsYaml('files:\n  read_only: [vendor/**]\n  hidden: ["*.pem"]\n');
    expect(read.problems).toEqual([]);
    expect(read.settings.files).toEqual({ readOnly: ['vendor/**'], hidden: ['*.pem'] });
    const bad = readProjectSettingsYaml('files:\n  hidden: [/etc/**]\n  extra: 1\n');
    expect(bad.settings.files).toBeUndefined();
    expect(bad.problems[0]).toMatch(/^files: /);
  });
});
