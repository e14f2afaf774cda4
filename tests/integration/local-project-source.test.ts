import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalProjectSource } from '../../src/adapters/local/local-project-source.js';
import type { ProjectConfigProblem, ProjectEvent } from '../../src/domain/project.js';
import { ProjectCatalog } from '../../src/engine/project-catalog.js';
import { waitFor } from '../support/wait.js';

describe('local project source: each sub-folder is a project', () => {
  let root: string;
  let dir: string;
  let catalog: ProjectCatalog;
  let events: ProjectEvent[];
  let problems: ProjectConfigProblem[];

  async function start(options: { rescanMs?: number; projectsFile?: string } = {}) {
    const source = new LocalProjectSource({
      workspacesDir: dir,
      projectsFile: options.projectsFile ?? join(dir, 'rdev-projects.yaml'),
      rescanMs: options.rescanMs ?? 60_000,
    });
    problems = [];
    catalog = new ProjectCatalog({
      source,
      ttlMs: 60_000,
      observer: { onNewProblem: (p) => problems.push(p) },
    });
    events = [];
    catalog.subscribe((e) => events.push(e));
    await catalog.start();
  }
  const names = async () => (await catalog.list()).projects.map((p) => p.name);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rdev-local-'));
    dir = join(root, 'workspaces');
  });

  afterEach(async () => {
    await catalog?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the folder and a demo project when there is none, and only then', async () => {
    await start();
    expect(readFileSync(join(dir, 'demo', 'README.md'), 'utf8')).toMatch(/^# demo/);
    expect(await catalog.get('demo')).toMatchObject({
      name: 'demo',
      status: 'RUNNING',
      workspacePath: join(dir, 'demo'),
      podName: null,
      namespace: null,
      labels: {},
      allowedCommandTypes: ['CLAUDE', 'SHELL', 'GIT'],
      maxConcurrentCommands: 5,
    });
    await catalog.stop();
    rmSync(join(dir, 'demo'), { recursive: true });
    mkdirSync(join(dir, 'mine'));
    await start();
    expect(existsSync(join(dir, 'demo'))).toBe(false);
    expect(await names()).toEqual(['mine']);
  });

  it('picks up new and removed folders without a restart', async () => {
    mkdirSync(dir);
    mkdirSync(join(dir, 'one'));
    writeFileSync(join(dir, 'not-a-folder.txt'), 'x');
    mkdirSync(join(dir, '.hidden'));
    await start();
    expect(await names()).toEqual(['one']);

    mkdirSync(join(dir, 'two'));
    symlinkSync(join(dir, 'one'), join(dir, 'linked'));
    await waitFor(async () => (await names()).length === 3, 'new folders', 5000);
    expect(await names()).toEqual(['linked', 'one', 'two']);
    rmSync(join(dir, 'two'), { recursive: true });
    await waitFor(async () => !(await names()).includes('two'), 'removed folder', 5000);
    expect(events.map((e) => `${e.type} ${e.project.name}`)).toEqual([
      'DISCOVERED linked',
      'DISCOVERED two',
      'REMOVED two',
    ]);
  });

  it('finds changes by periodic rescan even without file-system events', async () => {
    // The projects file lives in a folder that does not exist yet, so it cannot be watched.
    mkdirSync(dir);
    mkdirSync(join(dir, 'api'));
    const elsewhere = join(root, 'later', 'projects.yaml');
    await start({ rescanMs: 150, projectsFile: elsewhere });
    mkdirSync(join(root, 'later'));
    writeFileSync(elsewhere, 'api:\n  allowed_commands: [SHELL]\n');
    await waitFor(async () => (await catalog.get('api'))?.allowedCommandTypes.length === 1, 'rescan', 5000);
    expect(events).toEqual([expect.objectContaining({ type: 'CHANGED' })]);
  });

  it('applies the projects file, reporting each bad entry and keeping the others', async () => {
    mkdirSync(dir);
    for (const name of ['api', 'web', 'docs', 'Bad_Folder']) mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, 'rdev-projects.yaml'),
      [
        'api:',
        '  description: The API',
        '  allowed_commands: [git, shell]',
        '  max_concurrent_commands: 2',
        'web:',
        '  allowed_commands: [SHELL, ROOTKIT]',
        '  max_concurrent_commands: -4',
        '  pod_selector: { app: web }',
        'api:',
        '  allowed_commands: [CLAUDE]',
        'ghost:',
        '  description: no folder',
      ].join('\n'),
    );
    await start();
    const byName = Object.fromEntries((await catalog.list()).projects.map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual(['api', 'docs', 'web']);
    expect(byName.api).toMatchObject({
      description: 'The API',
      allowedCommandTypes: ['GIT', 'SHELL'],
      maxConcurrentCommands: 2,
      warnings: ['rdev-projects.yaml: defined more than once; the first definition is used'],
    });
    expect(byName.web).toMatchObject({ allowedCommandTypes: ['SHELL'], maxConcurrentCommands: 5 });
    expect(byName.web!.warnings).toEqual([
      'rdev-projects.yaml: allowed_commands[1]: "ROOTKIT" is not a command type (CLAUDE, SHELL, GIT); left out',
      'rdev-projects.yaml: max_concurrent_commands: must be at least 1; ignored',
      'pod_selector applies to pods only and is ignored for a folder',
    ]);
    expect(byName.docs).toMatchObject({ allowedCommandTypes: ['CLAUDE', 'SHELL', 'GIT'], warnings: [] });
    expect(problems.map((p) => `${p.source} ${p.entry}`).sort()).toEqual([
      'file/rdev-projects.yaml api',
      'file/rdev-projects.yaml ghost',
      'file/rdev-projects.yaml web',
      'file/rdev-projects.yaml web',
      'folder/Bad_Folder Bad_Folder',
    ]);

    // A file that cannot be parsed at all refuses every command until it is fixed.
    writeFileSync(join(dir, 'rdev-projects.yaml'), 'api: [oops\n');
    await waitFor(
      async () => (await catalog.get('docs'))?.allowedCommandTypes.length === 0,
      'fail closed',
      5000,
    );
    expect(catalog.status().problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: expect.stringMatching(/^malformed YAML/) }),
      ]),
    );
    writeFileSync(join(dir, 'rdev-projects.yaml'), '');
    await waitFor(async () => (await catalog.get('docs'))?.allowedCommandTypes.length === 3, 'fixed', 5000);
  });

  it('marks the list stale when the workspaces folder disappears, and recovers', async () => {
    await start({ rescanMs: 100 });
    expect(await names()).toEqual(['demo']);
    rmSync(dir, { recursive: true });
    await waitFor(() => catalog.status().stale, 'stale', 5000);
    expect(catalog.status().lastError).toMatch(/cannot be read/);
    expect(await catalog.list()).toMatchObject({
      stale: true,
      projects: [expect.objectContaining({ name: 'demo' })],
    });
    mkdirSync(join(dir, 'back'), { recursive: true });
    await waitFor(
      async () => (await names()).join() === 'back' && !catalog.status().stale,
      'recovered',
      5000,
    );
  });
});
