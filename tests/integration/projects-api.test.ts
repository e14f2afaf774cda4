import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWsOperations, subscribeProjects } from '../support/project-subscription.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const PROJECT_FIELDS =
  'id name status workspacePath podName namespace labels allowedCommandTypes maxConcurrentCommands warnings';
const LIST = `query($first: Int, $after: String, $filter: ProjectFilter) {
  projects(first: $first, after: $after, filter: $filter) {
    totalCount stale pageInfo { hasNextPage endCursor } edges { cursor node { ${PROJECT_FIELDS} } }
  } }`;

describe('projects over GraphQL, local runtime', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdev-api-'));
    for (const name of ['alpha', 'beta', 'gamma']) mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, 'rdev-projects.yaml'),
      'beta:\n  allowed_commands: [GIT]\n  max_concurrent_commands: 0\n',
    );
    t = await startTestApp('pglite', { RDEV_WORKSPACES_DIR: dir });
  });

  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs a key with projects:read', async () => {
    const anonymous = await t.graphql(LIST);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const { key } = await t.createKey({ scopes: ['COMMANDS_READ'] });
    const denied = await t.graphql(LIST, {}, t.auth(key));
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const status = await t.graphql('{ runtimeStatus { stale } }', {}, t.auth(key));
    expect(status.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists folders as projects with their settings, in pages', async () => {
    const { body } = await t.graphql(LIST, { first: 2 }, t.auth());
    const conn = body.data.projects;
    expect(conn).toMatchObject({ totalCount: 3, stale: false, pageInfo: { hasNextPage: true } });
    expect(conn.edges.map((e: any) => e.node.name)).toEqual(['alpha', 'beta']);
    expect(conn.edges[1].node).toMatchObject({
      status: 'RUNNING',
      workspacePath: join(dir, 'beta'),
      podName: null,
      namespace: null,
      labels: {},
      allowedCommandTypes: ['GIT'],
      maxConcurrentCommands: 5,
      warnings: ['rdev-projects.yaml: max_concurrent_commands: must be at least 1; ignored'],
    });
    const next = await t.graphql(LIST, { first: 2, after: conn.pageInfo.endCursor }, t.auth());
    expect(next.body.data.projects.edges.map((e: any) => e.node.name)).toEqual(['gamma']);
    const filtered = await t.graphql(LIST, { filter: { namePrefix: 'g', status: 'RUNNING' } }, t.auth());
    expect(filtered.body.data.projects.edges.map((e: any) => e.node.name)).toEqual(['gamma']);
    const tooMany = await t.graphql(LIST, { first: 500 }, t.auth());
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');

    const status = await t.graphql(
      '{ runtimeStatus { runtime stale circuitState lastError configProblems { source entry projectName message } } }',
      {},
      t.auth(),
    );
    expect(status.body.data.runtimeStatus).toEqual({
      runtime: 'LOCAL',
      stale: false,
      circuitState: null,
      lastError: null,
      configProblems: [
        {
          source: 'file/rdev-projects.yaml',
          entry: 'beta',
          projectName: 'beta',
          message: 'max_concurrent_commands: must be at least 1; ignored',
        },
      ],
    });
  });

  it('never shows a key the projects it is not granted, by any route', async () => {
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'], projectNames: ['alpha'] });
    const list = await t.graphql(LIST, {}, t.auth(key));
    expect(list.body.data.projects.edges.map((e: any) => e.node.name)).toEqual(['alpha']);
    expect(list.body.data.projects.totalCount).toBe(1);
    const one = await t.graphql(
      '{ a: project(name: "alpha") { name } b: project(name: "beta") { name } }',
      {},
      t.auth(key),
    );
    expect(one.body).toEqual({ data: { a: { name: 'alpha' }, b: null } });

    const ids = (await t.graphql(LIST, {}, t.auth())).body.data.projects.edges.map((e: any) => e.node.id);
    const nodes = await t.graphql(
      'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Project { name } } }',
      { ids },
      t.auth(key),
    );
    expect(nodes.body.data.nodes.map((n: any) => n?.name ?? null)).toEqual(['alpha', null, null]);
    const byAdmin = await t.graphql(
      'query($id: ID!) { node(id: $id) { ... on Project { name } } }',
      { id: ids[1] },
      t.auth(),
    );
    expect(byAdmin.body.data.node).toEqual({ name: 'beta' });
  });

  it('refreshes for admins only', async () => {
    const { key } = await t.createKey({ scopes: ['PROJECTS_READ'] });
    const denied = await t.graphql('mutation { refreshProjects { name } }', {}, t.auth(key));
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const ok = await t.graphql('mutation { refreshProjects { name } }', {}, t.auth());
    expect(ok.body.data.refreshProjects.map((p: any) => p.name)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('follows folders being created and removed, with projectUpdated events limited by grants', async () => {
    const { key: limited } = await t.createKey({ scopes: ['PROJECTS_READ'], projectNames: ['delta'] });
    const { key: noScope } = await t.createKey({ scopes: ['COMMANDS_READ'] });
    const admin = await subscribeProjects(t.url, t.adminKey);
    const mine = await subscribeProjects(t.url, limited);
    const refused = await subscribeProjects(t.url, noScope);
    try {
      await waitFor(
        async () => (await openWsOperations(t.app)) >= 2 && refused.errors.length > 0,
        'live',
        5000,
      );
      expect(refused.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
      ]);
      mkdirSync(join(dir, 'delta'));
      mkdirSync(join(dir, 'epsilon'));
      await waitFor(() => admin.events.length === 2, 'two DISCOVERED', 5000);
      const names = async (key?: string) =>
        (await t.graphql(LIST, {}, t.auth(key))).body.data.projects.edges.map((e: any) => e.node.name);
      expect(await names()).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
      rmSync(join(dir, 'delta'), { recursive: true });
      await waitFor(() => admin.events.length === 3, 'REMOVED', 5000);
      expect(await names()).toEqual(['alpha', 'beta', 'epsilon', 'gamma']);
      expect(admin.events.map((e) => `${e.type} ${e.name}`).sort()).toEqual([
        'DISCOVERED delta',
        'DISCOVERED epsilon',
        'REMOVED delta',
      ]);
      await waitFor(() => mine.events.length === 2, 'limited key events', 2000);
      expect(mine.events.map((e) => `${e.type} ${e.name}`)).toEqual(['DISCOVERED delta', 'REMOVED delta']);
      expect(refused.events).toEqual([]);
    } finally {
      await Promise.all([admin.client.dispose(), mine.client.dispose(), refused.client.dispose()]);
    }
  });
});
