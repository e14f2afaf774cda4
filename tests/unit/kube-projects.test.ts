import { describe, expect, it } from 'vitest';
import { buildKubeProjects, type PodLike } from '../../src/adapters/kubernetes/kube-projects.js';

const P = 'rdev.orchard9.ai';
const RULES = { namespace: 'ns', prefix: P, configMapName: 'rdev-projects', defaultWorkspace: '/workspace' };
const NOW = new Date('2026-01-01T00:00:00Z');

function pod(
  name: string,
  opts: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    phase?: string;
    ready?: boolean;
    created?: string;
    terminating?: boolean;
  } = {},
): PodLike {
  const phase = opts.phase ?? 'Running';
  return {
    metadata: {
      name,
      labels: { [`${P}/project`]: 'true', ...opts.labels },
      annotations: opts.annotations,
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      deletionTimestamp: opts.terminating ? '2026-01-01T00:01:00Z' : undefined,
    },
    spec: { containers: [{ name: 'workspace' }, { name: 'sidecar' }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: (opts.ready ?? phase === 'Running') ? 'True' : 'False' }],
    },
  };
}

describe('projects from pods and the rdev-projects ConfigMap', () => {
  it('names a project by label (else the pod name) and reads workspace and description', () => {
    const { projects, problems } = buildKubeProjects(
      [
        pod('web-7d9f', {
          labels: { [`${P}/name`]: 'web', team: 'a' },
          annotations: { [`${P}/workspace`]: '/home/dev/web', [`${P}/description`]: 'The shop' },
        }),
        pod('api'),
      ],
      null,
      RULES,
      NOW,
    );
    expect(problems).toEqual([]);
    expect(projects).toEqual([
      {
        name: 'api',
        description: null,
        status: 'RUNNING',
        podName: 'api',
        namespace: 'ns',
        container: 'workspace',
        workspacePath: '/workspace',
        labels: { [`${P}/project`]: 'true' },
        allowedCommandTypes: ['CLAUDE', 'SHELL', 'GIT'],
        maxConcurrentCommands: 5,
        lastSeenAt: NOW,
        warnings: [],
      },
      expect.objectContaining({
        name: 'web',
        podName: 'web-7d9f',
        description: 'The shop',
        workspacePath: '/home/dev/web',
        labels: { [`${P}/project`]: 'true', [`${P}/name`]: 'web', team: 'a' },
      }),
    ]);
  });

  it('maps pod phase and readiness to a status', () => {
    const status = (p: PodLike) => buildKubeProjects([p], null, RULES, NOW).projects[0]!.status;
    expect(status(pod('a'))).toBe('RUNNING');
    expect(status(pod('a', { ready: false }))).toBe('PENDING');
    expect(status(pod('a', { phase: 'Pending' }))).toBe('PENDING');
    expect(status(pod('a', { phase: 'Failed' }))).toBe('FAILED');
    expect(status(pod('a', { phase: 'Succeeded' }))).toBe('FAILED');
    expect(status(pod('a', { phase: 'Unknown' }))).toBe('UNKNOWN');
    expect(status(pod('a', { terminating: true }))).toBe('UNKNOWN');
  });

  it('lets a ConfigMap entry override labels, and select its pod by pod_selector', () => {
    const { projects, problems } = buildKubeProjects(
      [
        pod('web-1', {
          labels: { [`${P}/name`]: 'web' },
          annotations: { [`${P}/workspace`]: '/from/label' },
        }),
        pod('shop-x', { labels: { app: 'shop' } }),
      ],
      {
        web: 'workspace: /from/configmap\nallowed_commands: [GIT]\nmax_concurrent_commands: 2\ndescription: configured',
        store: 'pod_selector: { app: shop }',
      },
      RULES,
      NOW,
    );
    expect(problems).toEqual([]);
    expect(projects.map((p) => p.name)).toEqual(['store', 'web']);
    expect(projects[0]).toMatchObject({ name: 'store', podName: 'shop-x', warnings: [] });
    expect(projects[1]).toMatchObject({
      workspacePath: '/from/configmap',
      allowedCommandTypes: ['GIT'],
      maxConcurrentCommands: 2,
      description: 'configured',
    });
  });

  it('reports each bad entry on its own and keeps the others', () => {
    const { projects, problems } = buildKubeProjects(
      [pod('a'), pod('b'), pod('c'), pod('d')],
      {
        a: 'allowed_commands: [SHELL, TELNET]',
        b: 'max_concurrent_commands: -3',
        c: 'description: [broken',
        Not_A_Name: 'description: x',
      },
      RULES,
      NOW,
    );
    expect(problems).toEqual([
      {
        source: 'configmap/rdev-projects',
        entry: 'Not_A_Name',
        project: null,
        message: expect.stringMatching(/^the key is not a project name/),
      },
      {
        source: 'configmap/rdev-projects',
        entry: 'a',
        project: 'a',
        message: 'allowed_commands[1]: "TELNET" is not a command type (CLAUDE, SHELL, GIT); left out',
      },
      {
        source: 'configmap/rdev-projects',
        entry: 'b',
        project: 'b',
        message: 'max_concurrent_commands: must be at least 1; ignored',
      },
      expect.objectContaining({
        entry: 'c',
        project: 'c',
        message: expect.stringMatching(/^malformed YAML/),
      }),
    ]);
    const byName = Object.fromEntries(projects.map((p) => [p.name, p]));
    expect(byName.a).toMatchObject({
      allowedCommandTypes: ['SHELL'],
      warnings: [expect.stringContaining('TELNET')],
    });
    expect(byName.b).toMatchObject({
      maxConcurrentCommands: 5,
      warnings: [expect.stringContaining('at least 1')],
    });
    // Unreadable settings fail closed: no command type is allowed until the entry is fixed.
    expect(byName.c).toMatchObject({
      allowedCommandTypes: [],
      warnings: [expect.stringContaining('malformed')],
    });
    expect(byName.d).toMatchObject({ allowedCommandTypes: ['CLAUDE', 'SHELL', 'GIT'], warnings: [] });
  });

  it('reports two live pods claiming one name and uses the ready, newest one', () => {
    const { projects, problems } = buildKubeProjects(
      [
        pod('web-old', { labels: { [`${P}/name`]: 'web' }, created: '2026-01-01T00:00:00Z' }),
        pod('web-new', { labels: { [`${P}/name`]: 'web' }, created: '2026-01-01T00:05:00Z' }),
        pod('web-starting', {
          labels: { [`${P}/name`]: 'web' },
          created: '2026-01-01T00:09:00Z',
          ready: false,
        }),
        pod('solo-gone', { labels: { [`${P}/name`]: 'solo' }, terminating: true }),
        pod('solo-next', { labels: { [`${P}/name`]: 'solo' }, phase: 'Pending' }),
      ],
      null,
      RULES,
      NOW,
    );
    const web = projects.find((p) => p.name === 'web')!;
    expect(web.podName).toBe('web-new');
    expect(web.warnings).toEqual([
      '3 pods claim project "web" (web-new, web-old, web-starting); using web-new',
    ]);
    expect(problems).toEqual([expect.objectContaining({ project: 'web', message: web.warnings[0] })]);
    // A pod being deleted next to its replacement is a rollout, not a duplicate.
    const solo = projects.find((p) => p.name === 'solo')!;
    expect(solo).toMatchObject({ podName: 'solo-next', status: 'PENDING', warnings: [] });
  });

  it('reports names that are not DNS labels and bad workspace annotations', () => {
    const { projects, problems } = buildKubeProjects(
      [
        pod('x', { labels: { [`${P}/name`]: 'Bad.Name' } }),
        pod('y', { annotations: { [`${P}/workspace`]: 'relative' } }),
      ],
      null,
      RULES,
      NOW,
    );
    expect(problems).toEqual([
      expect.objectContaining({
        source: 'pod/x',
        entry: 'x',
        project: null,
        message: expect.stringContaining('"Bad.Name"'),
      }),
    ]);
    expect(projects).toEqual([
      expect.objectContaining({
        name: 'y',
        workspacePath: '/workspace',
        warnings: [`${P}/workspace "relative" is not an absolute path; using /workspace`],
      }),
    ]);
  });

  it('lists a configured project with no pod yet as UNKNOWN, with a warning', () => {
    const { projects } = buildKubeProjects([], { later: 'description: soon' }, RULES, NOW);
    expect(projects).toEqual([
      expect.objectContaining({
        name: 'later',
        status: 'UNKNOWN',
        podName: null,
        description: 'soon',
        warnings: ['no pod of this project was found'],
      }),
    ]);
  });
});
