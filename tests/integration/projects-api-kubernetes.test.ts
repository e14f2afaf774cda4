import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { openWsOperations, subscribeProjects } from '../support/project-subscription.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

const NS = 'rdev-test';
const P = 'rdev.orchard9.ai';
const LABELS = { [`${P}/project`]: 'true' };
const LIST = `{ projects { stale totalCount edges { node { name status podName namespace workspacePath labels allowedCommandTypes description } } } }`;
const STATUS = '{ runtimeStatus { runtime stale circuitState lastError configProblems { entry message } } }';

describe('projects over GraphQL, Kubernetes runtime against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let t: TestApp;
  let dir: string;

  const names = async () =>
    (await t.graphql(LIST, {}, t.auth())).body.data.projects.edges.map((e: any) => e.node.name);

  beforeAll(async () => {
    fake = await startFakeKubeApiServer({ namespace: NS });
    fake.createPod({ name: 'api-0', labels: { ...LABELS, [`${P}/name`]: 'api', team: 'core' } });
    dir = mkdtempSync(join(tmpdir(), 'rdev-kube-'));
    const kubeconfig = join(dir, 'kubeconfig.json');
    writeFileSync(kubeconfig, fake.kubeConfig().exportConfig());
    t = await startTestApp('pglite', {
      RDEV_RUNTIME: 'kubernetes',
      KUBECONFIG: kubeconfig,
      RDEV_NAMESPACE: NS,
      RDEV_KUBE_BREAKER_FAILURES: '3',
      // Open long enough that the checks below see it open on a busy machine, not half-open.
      RDEV_KUBE_BREAKER_OPEN_MS: '3000',
      RDEV_KUBE_API_TIMEOUT_MS: '1000',
    });
  });

  afterAll(async () => {
    fake.faults.hang = false;
    await t.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows labelled pods, and reports a new pod, a ConfigMap edit and a deletion within a second', async () => {
    const { body } = await t.graphql(LIST, {}, t.auth());
    expect(body.data.projects).toEqual({
      stale: false,
      totalCount: 1,
      edges: [
        {
          node: {
            name: 'api',
            status: 'RUNNING',
            podName: 'api-0',
            namespace: NS,
            workspacePath: '/workspace',
            labels: { ...LABELS, [`${P}/name`]: 'api', team: 'core' },
            allowedCommandTypes: ['CLAUDE', 'SHELL', 'GIT'],
            description: null,
          },
        },
      ],
    });
    const label = await t.graphql(
      `{ projects(filter: { label: "team=core" }) { totalCount } }`,
      {},
      t.auth(),
    );
    expect(label.body.data.projects.totalCount).toBe(1);

    const sink = await subscribeProjects(t.url, t.adminKey);
    try {
      await waitFor(async () => (await openWsOperations(t.app)) === 1, 'subscription live', 5000);
      fake.createPod({ name: 'web-0', labels: { ...LABELS, [`${P}/name`]: 'web' } });
      await waitFor(() => sink.events.length === 1, 'DISCOVERED within 1 s', 1000);
      expect(sink.events[0]).toMatchObject({ type: 'DISCOVERED', name: 'web' });
      expect(await names()).toEqual(['api', 'web']);

      fake.upsertConfigMap('rdev-projects', { web: 'allowed_commands: [GIT]\ndescription: The web' });
      await waitFor(() => sink.events.length === 2, 'CHANGED within 1 s', 1000);
      expect(sink.events[1]).toEqual({ type: 'CHANGED', name: 'web', allowed: ['GIT'] });

      fake.deletePod('web-0');
      await waitFor(() => sink.events.length === 3, 'CHANGED within 1 s after the pod went', 1000);
      // The ConfigMap still names the project, so it stays, without a pod.
      expect(sink.events[2]).toMatchObject({ type: 'CHANGED', name: 'web' });
      fake.deleteConfigMap('rdev-projects');
      await waitFor(() => sink.events.length === 4, 'REMOVED within 1 s', 1000);
      expect(sink.events[3]).toMatchObject({ type: 'REMOVED', name: 'web' });
      expect(await names()).toEqual(['api']);
    } finally {
      await sink.client.dispose();
    }
  });

  it('reports bad ConfigMap entries in runtimeStatus and on the project, never failing the list', async () => {
    fake.upsertConfigMap('rdev-projects', {
      api: 'allowed_commands: [SHELL, TELNET]\nmax_concurrent_commands: -1',
      'Not Valid': 'description: x',
    });
    await waitFor(
      async () => (await t.graphql(STATUS, {}, t.auth())).body.data.runtimeStatus.configProblems.length === 3,
    );
    const status = (await t.graphql(STATUS, {}, t.auth())).body.data.runtimeStatus;
    expect(status).toMatchObject({
      runtime: 'KUBERNETES',
      stale: false,
      circuitState: 'CLOSED',
      lastError: null,
    });
    expect(status.configProblems.map((p: any) => p.entry).sort()).toEqual(['Not Valid', 'api', 'api']);
    const api = (
      await t.graphql(
        '{ project(name: "api") { allowedCommandTypes maxConcurrentCommands warnings } }',
        {},
        t.auth(),
      )
    ).body.data.project;
    expect(api).toMatchObject({ allowedCommandTypes: ['SHELL'], maxConcurrentCommands: 5 });
    expect(api.warnings).toHaveLength(2);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/rdev_project_config_problems_total\{runtime="kubernetes"\} 3/);
    fake.deleteConfigMap('rdev-projects');
    await waitFor(
      async () => (await t.graphql(STATUS, {}, t.auth())).body.data.runtimeStatus.configProblems.length === 0,
    );
  });

  it('serves the cached list marked stale while the API fails, refuses refresh fast, and recovers', async () => {
    fake.faults.http500 = true;
    fake.faults.dropWatches();
    await waitFor(
      async () => (await t.graphql(STATUS, {}, t.auth())).body.data.runtimeStatus.circuitState === 'OPEN',
      'circuit open',
      8000,
    );
    const list = (await t.graphql(LIST, {}, t.auth())).body.data.projects;
    expect(list).toMatchObject({ stale: true, totalCount: 1, edges: [{ node: { name: 'api' } }] });
    const status = (await t.graphql(STATUS, {}, t.auth())).body.data.runtimeStatus;
    expect(status).toMatchObject({ stale: true, circuitState: 'OPEN', lastError: expect.any(String) });

    const requests = fake.requests.count();
    const refresh = await t.graphql('mutation { refreshProjects { name } }', {}, t.auth());
    expect(refresh.body.errors?.[0]?.extensions?.code).toBe('RUNTIME_UNAVAILABLE');
    expect(refresh.body.errors?.[0]?.message).toMatch(/circuit breaker opened after 3 consecutive failures/);
    expect(fake.requests.count()).toBe(requests);
    let metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/rdev_kubernetes_api_circuit_state\{state="open"\} 1/);
    expect(metrics).toMatch(/rdev_projects_stale 1/);
    expect(metrics).toMatch(/rdev_kubernetes_api_requests_total\{verb="list",outcome="circuit_open"\} \d+/);

    fake.faults.http500 = false;
    await waitFor(
      async () => {
        const s = (await t.graphql(STATUS, {}, t.auth())).body.data.runtimeStatus;
        return s.circuitState === 'CLOSED' && !s.stale;
      },
      'recovered',
      20_000,
    );
    expect((await t.graphql(LIST, {}, t.auth())).body.data.projects.stale).toBe(false);
    const again = await t.graphql('mutation { refreshProjects { name } }', {}, t.auth());
    expect(again.body.data.refreshProjects).toEqual([{ name: 'api' }]);
    metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/rdev_kubernetes_api_circuit_state\{state="closed"\} 1/);
    expect(metrics).toMatch(/rdev_projects_stale 0/);
  });
});
