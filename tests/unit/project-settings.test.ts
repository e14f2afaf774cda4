import { describe, expect, it } from 'vitest';
import {
  readProjectSettings,
  readProjectSettingsYaml,
  readProjectsFile,
} from '../../src/adapters/yaml/project-settings.js';

describe('project settings (one schema for the ConfigMap and the projects file)', () => {
  it('reads every setting, normalising command types and selector forms', () => {
    const read = readProjectSettingsYaml(
      [
        'description: The web shop',
        'pod_selector: app=shop, tier=web',
        'workspace: /srv/shop',
        'allowed_commands: [shell, GIT]',
        'max_concurrent_commands: 3',
      ].join('\n'),
    );
    expect(read.problems).toEqual([]);
    expect(read.settings).toEqual({
      description: 'The web shop',
      podSelector: { app: 'shop', tier: 'web' },
      workspace: '/srv/shop',
      allowedCommands: ['SHELL', 'GIT'],
      maxConcurrentCommands: 3,
    });
    expect(readProjectSettings({ pod_selector: { app: 'shop' } }).settings.podSelector).toEqual({
      app: 'shop',
    });
    expect(readProjectSettingsYaml('').settings).toEqual({});
  });

  it('fails closed on malformed YAML: no command is allowed and the problem says why', () => {
    const read = readProjectSettingsYaml('description: [unclosed\nallowed_commands: [SHELL');
    expect(read.settings).toEqual({ allowedCommands: [] });
    expect(read.problems).toHaveLength(1);
    expect(read.problems[0]).toMatch(/^malformed YAML: .*no command is allowed until it is fixed$/);
    expect(readProjectSettingsYaml('- just\n- a list\n').problems[0]).toMatch(/must be a map/);
    expect(readProjectSettingsYaml('a: 1\n---\nb: 2\n').problems[0]).toMatch(/malformed YAML/);
  });

  it('keeps valid command types, leaves out unknown ones, and reports each', () => {
    const read = readProjectSettingsYaml('allowed_commands: [GIT, gitt, 7, shell]');
    expect(read.settings.allowedCommands).toEqual(['GIT', 'SHELL']);
    expect(read.problems).toEqual([
      'allowed_commands[1]: "gitt" is not a command type (CLAUDE, SHELL, GIT); left out',
      'allowed_commands[2]: 7 is not a command type (CLAUDE, SHELL, GIT); left out',
    ]);
    const notAList = readProjectSettingsYaml('allowed_commands: SHELL');
    expect(notAList.settings.allowedCommands).toEqual([]);
    expect(notAList.problems[0]).toMatch(/must be a list/);
  });

  it('ignores bad values of the other settings, keeping the rest', () => {
    const read = readProjectSettingsYaml(
      [
        'description: still applies',
        'max_concurrent_commands: -2',
        'workspace: relative/path',
        'pod_selector: "app in (a,b)"',
        'alowed_commands: [SHELL]',
      ].join('\n'),
    );
    expect(read.settings).toEqual({ description: 'still applies' });
    expect(read.problems).toEqual([
      'max_concurrent_commands: must be at least 1; ignored',
      'workspace: must be an absolute path; ignored',
      expect.stringMatching(/^pod_selector: .*ignored$/),
      expect.stringMatching(/^unknown setting "alowed_commands" \(known: description, pod_selector/),
    ]);
    expect(readProjectSettingsYaml('max_concurrent_commands: 2.5').problems[0]).toMatch(/whole number/);
    expect(readProjectSettingsYaml('max_concurrent_commands: 1000').problems[0]).toMatch(/at most 100/);
    expect(readProjectSettingsYaml('workspace: /a/../etc').problems[0]).toMatch(/\.\./);
  });

  it('refuses an entry that gives a setting twice rather than guessing which one counts', () => {
    const read = readProjectSettingsYaml('allowed_commands: [GIT]\nallowed_commands: [SHELL]\n');
    expect(read.settings).toEqual({ allowedCommands: [] });
    expect(read.problems[0]).toMatch(/setting "allowed_commands" given twice/);
  });

  it('reads a projects file entry by entry; a name given twice keeps its first entry', () => {
    const file = readProjectsFile(
      [
        'api:',
        '  allowed_commands: [GIT]',
        'web:',
        '  max_concurrent_commands: -1',
        'api:',
        '  allowed_commands: [SHELL, CLAUDE]',
        'empty:',
      ].join('\n'),
    );
    expect(file.fileProblem).toBeNull();
    expect(file.duplicates).toEqual(['api']);
    expect(file.entries.get('api')).toEqual({ settings: { allowedCommands: ['GIT'] }, problems: [] });
    expect(file.entries.get('web')?.problems).toEqual([
      'max_concurrent_commands: must be at least 1; ignored',
    ]);
    expect(file.entries.get('empty')).toEqual({ settings: {}, problems: [] });
    expect(readProjectsFile('[a, b]').fileProblem).toMatch(/map of project names/);
    expect(readProjectsFile('a: [').fileProblem).toMatch(/malformed YAML/);
    expect(readProjectsFile('').fileProblem).toBeNull();
  });

  it('refuses oversized documents and alias bombs without hanging', () => {
    expect(readProjectSettingsYaml(`description: ${'x'.repeat(70_000)}`).problems[0]).toMatch(/larger than/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    for (const l of ['c', 'd', 'e', 'f', 'g', 'h']) {
      const prev = bomb.at(-1)!.split(':')[0];
      bomb.push(`${l}: &${l} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const read = readProjectSettingsYaml(bomb.join('\n'));
    expect(read.settings.allowedCommands).toEqual([]);
    expect(read.problems[0]).toMatch(/^unusable YAML: .*alias.*no command is allowed/i);
  });
});
