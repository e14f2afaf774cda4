import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiGuard } from '../../src/adapters/kubernetes/kube-api-guard.js';
import { KubernetesProjectSource } from '../../src/adapters/kubernetes/kubernetes-project-source.js';
import { RuntimeUnavailableError } from '../../src/domain/errors.js';
import type { ProjectConfigProblem, ProjectEvent } from '../../src/domain/project.js';
import { ProjectCatalog } from '../../src/engine/project-catalog.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { waitFor } from '../support/wait.js';

const NS = 'rdev-test';
const P = 'rdev.orchard9.ai';
const LABELS = { [`${P}/project`]: 'true' };

/**
 * How long an event may take to arrive over a watch. Generous for busy machines, yet far below
 * the resync interval, so an event that came only from a relist would still miss it.
 */
const WATCH_MS = 10_000;

describe('Kubernetes project source against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let guard: KubeApiGuard;
  let source: KubernetesProjectSource;
  let catalog: ProjectCatalog;
  let events: ProjectEvent[];
  let newProblems: ProjectConfigProblem[];

  async function start(options: { resyncMs?: number; timeoutMs?: number } = {}) {
    guard = new KubeApiGuard({ failureThreshold: 3, openMs: 300, timeoutMs: options.timeoutMs ?? 1000 });
    source = new KubernetesProjectSource({
      kubeConfig: fake.kubeConfig(),
      namespace: NS,
      labelPrefix: P,
      configMapName: 'rdev-projects',
      guard,
      resyncMs: options.resyncMs ?? 600_000,
      retryMaxMs: 300,
    });
    newProblems = [];
    catalog = new ProjectCatalog({
      source,
      ttlMs: 600_000,
      observer: { onNewProblem: (p) => newProblems.push(p) },
    });
    events = [];
    catalog.subscribe((e) => events.push(e));
    await catalog.start();
    await catalog.list();
    await waitFor(() => fake.openWatches === 2, 'both watches open', 5000);
  }

  const names = async () => (await catalog.list()).projects.map((p) => p.name);
  const eventLog = () => events.map((e) => `${e.type} ${e.project.name}`);

  beforeEach(async () => {
    fake = await startFakeKubeApiServer({ namespace: NS });
  });

  afterEach(async () => {
    fake.faults.hang = false;
    await catalog?.stop();
    await fake.close();
  });

  it('reports a labelled pod within a second of its creation, and its removal within a second', async () => {
    fake.createPod({ name: 'already', labels: LABELS });
    fake.createPod({ name: 'unlabelled' });
    await start();
    expect(await names()).toEqual(['already']);
    expect(events).toEqual([]);

    fake.createPod({ name: 'web-0', labels: { ...LABELS, [`${P}/name`]: 'web' } });
    await waitFor(() => events.length === 1, 'DISCOVERED over the watch', WATCH_MS);
    expect(events[0]).toMatchObject({
      type: 'DISCOVERED',
      project: {
        name: 'web',
        podName: 'web-0',
        namespace: NS,
        status: 'RUNNING',
        workspacePath: '/workspace',
      },
    });
    expect(await names()).toEqual(['already', 'web']);

    fake.updatePod('web-0', { ready: false });
    await waitFor(() => events.length === 2, 'CHANGED over the watch', WATCH_MS);
    expect(events[1]).toMatchObject({ type: 'CHANGED', project: { name: 'web', status: 'PENDING' } });

    fake.deletePod('web-0');
    await waitFor(() => events.length === 3, 'REMOVED over the watch', WATCH_MS);
    expect(events[2]).toMatchObject({ type: 'REMOVED', project: { name: 'web' } });
    expect(await names()).toEqual(['already']);
    expect((await catalog.list()).stale).toBe(false);
  });

  it('applies a ConfigMap edit within a second, and reports bad entries one by one', async () => {
    fake.createPod({ name: 'api', labels: LABELS });
    fake.createPod({ name: 'web', labels: LABELS });
    fake.upsertConfigMap('rdev-projects', { api: 'allowed_commands: [GIT]' });
    await start();
    expect((await catalog.get('api'))?.allowedCommandTypes).toEqual(['GIT']);

    fake.upsertConfigMap('rdev-projects', {
      api: 'allowed_commands: [GIT, SHELL]\nmax_concurrent_commands: 2\ndescription: The API',
      web: 'allowed_commands: [SHELL, FTP]\nmax_concurrent_commands: -1',
      broken: 'description: [not yaml',
      'Bad Key': 'description: x',
    });
    await waitFor(() => events.some((e) => e.project.name === 'web'), 'settings over the watch', WATCH_MS);
    expect(eventLog().sort()).toEqual(['CHANGED api', 'CHANGED web', 'DISCOVERED broken']);
    const byName = Object.fromEntries((await catalog.list()).projects.map((p) => [p.name, p]));
    expect(byName.api).toMatchObject({
      allowedCommandTypes: ['GIT', 'SHELL'],
      maxConcurrentCommands: 2,
      description: 'The API',
      warnings: [],
    });
    expect(byName.web).toMatchObject({ allowedCommandTypes: ['SHELL'], maxConcurrentCommands: 5 });
    expect(byName.web!.warnings).toHaveLength(2);
    expect(byName.broken).toMatchObject({ status: 'UNKNOWN', allowedCommandTypes: [] });
    expect(newProblems.map((p) => p.entry).sort()).toEqual(['Bad Key', 'broken', 'web', 'web']);
    expect(catalog.status().problems).toHaveLength(4);

    // Problems are reported once, not again on every unrelated change.
    fake.createPod({ name: 'other', labels: LABELS });
    await waitFor(() => events.some((e) => e.project.name === 'other'), 'condition', WATCH_MS);
    expect(newProblems).toHaveLength(4);

    fake.deleteConfigMap('rdev-projects');
    await waitFor(
      () => events.some((e) => e.type === 'REMOVED' && e.project.name === 'broken'),
      'condition',
      1000,
    );
    expect((await catalog.get('api'))?.allowedCommandTypes).toEqual(['CLAUDE', 'SHELL', 'GIT']);
    expect(catalog.status().problems).toEqual([]);
  });

  it('resumes a dropped watch from its resourceVersion without losing an event', async () => {
    fake.createPod({ name: 'a', labels: LABELS });
    await start();
    const listsBefore = fake.requests.count({ verb: 'list' });
    const watchesBefore = fake.requests.count({ verb: 'watch' });

    // Cut the streams and hold the re-watches while pods change, so the changes happen in the gap.
    fake.faults.hang = true;
    fake.faults.dropWatches();
    await waitFor(() => fake.requests.count({ verb: 'watch' }) === watchesBefore + 2, 're-watch sent', 3000);
    fake.createPod({ name: 'b', labels: LABELS });
    fake.updatePod('a', { phase: 'Failed' });
    fake.faults.hang = false;

    await waitFor(() => events.length === 2, 'both missed events', 3000);
    expect(eventLog().sort()).toEqual(['CHANGED a', 'DISCOVERED b']);
    expect((await catalog.get('a'))?.status).toBe('FAILED');
    // Resumed, not relisted: the re-watch named the last resourceVersion seen.
    expect(fake.requests.count({ verb: 'list' })).toBe(listsBefore);
    const rewatch = fake.requests.entries.filter((e) => e.verb === 'watch' && e.resource === 'pods').at(-1)!;
    expect(Number(rewatch.query.get('resourceVersion'))).toBeGreaterThan(0);
  });

  it('lists again after 410 Gone, noticing what changed while it was away', async () => {
    fake.createPod({ name: 'a', labels: LABELS });
    fake.createPod({ name: 'b', labels: LABELS });
    await start();
    const podListsBefore = fake.requests.count({ verb: 'list', resource: 'pods' });
    fake.faults.hang = true;
    fake.faults.endWatches();
    await waitFor(() => fake.requests.count({ verb: 'watch' }) >= 4, 're-watch sent', 3000);
    fake.deletePod('b');
    fake.createPod({ name: 'c', labels: LABELS });
    fake.compactHistory();
    fake.faults.hang = false;
    await waitFor(() => events.length === 2, 'events after relist', 3000);
    expect(eventLog().sort()).toEqual(['DISCOVERED c', 'REMOVED b']);
    expect(fake.requests.count({ verb: 'list', resource: 'pods' })).toBe(podListsBefore + 1);
    expect(await names()).toEqual(['a', 'c']);
  });

  it('relists periodically, so a watch that silently stopped cannot hide changes for long', async () => {
    fake.createPod({ name: 'a', labels: LABELS });
    await start({ resyncMs: 300 });
    const lists = fake.requests.count({ verb: 'list', resource: 'pods' });
    await waitFor(
      () => fake.requests.count({ verb: 'list', resource: 'pods' }) >= lists + 2,
      'resyncs',
      3000,
    );
    expect(await names()).toEqual(['a']);
    expect(events).toEqual([]);
  });

  it('serves the last list marked stale while the API fails, fails fast once open, and recovers', async () => {
    fake.createPod({ name: 'a', labels: LABELS });
    await start();
    expect(catalog.status()).toMatchObject({ stale: false, circuitState: 'CLOSED' });

    fake.faults.http500 = true;
    fake.faults.dropWatches();
    await waitFor(() => guard.state === 'OPEN', 'circuit open', 5000);
    const view = await catalog.list();
    expect(view).toMatchObject({ stale: true, projects: [expect.objectContaining({ name: 'a' })] });
    expect(catalog.status()).toMatchObject({
      stale: true,
      circuitState: 'OPEN',
      lastError: expect.any(String),
    });

    const requests = fake.requests.count();
    const error = await catalog.refresh().catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error.code).toBe('RUNTIME_UNAVAILABLE');
    expect(error.message).toMatch(/circuit breaker opened/);
    expect(fake.requests.count()).toBe(requests);
    // Still answering from cache after a failed refresh.
    expect(await names()).toEqual(['a']);

    fake.createPod({ name: 'b', labels: LABELS });
    fake.faults.http500 = false;
    await waitFor(() => guard.state === 'CLOSED' && !catalog.status().stale, 'recovered', 8000);
    await waitFor(() => events.some((e) => e.project.name === 'b'), 'missed pod', 3000);
    expect(await names()).toEqual(['a', 'b']);
    expect((await catalog.refresh()).map((p) => p.name)).toEqual(['a', 'b']);
    // The watch is live again, not just the list: a deletion shows within a second, with the
    // periodic relist ten minutes away.
    fake.deletePod('a');
    await waitFor(
      () => events.some((e) => e.type === 'REMOVED' && e.project.name === 'a'),
      'REMOVED',
      WATCH_MS,
    );
  });

  it('keeps its watches live through API failures that do not touch them', async () => {
    fake.createPod({ name: 'a', labels: LABELS });
    await start();
    // Other requests fail long enough to open the circuit; the open watch streams stay up.
    fake.faults.http500 = true;
    for (let i = 0; i < 4; i++) await catalog.refresh().catch(() => undefined);
    expect(guard.state).toBe('OPEN');
    await new Promise((r) => setTimeout(r, 1000));
    fake.faults.http500 = false;
    // No request is needed to find out: the event comes over the watch.
    fake.deletePod('a');
    await waitFor(
      () => events.some((e) => e.type === 'REMOVED' && e.project.name === 'a'),
      'REMOVED',
      WATCH_MS,
    );
    expect(await names()).toEqual([]);
  });

  it('times out hung requests, opens the circuit, serves the list stale, and recovers', async () => {
    fake.createPod({ name: 'a', labels: LABELS });
    await start({ timeoutMs: 200 });
    fake.faults.hang = true;
    fake.faults.dropWatches();
    await waitFor(() => guard.state === 'OPEN', 'circuit open after timeouts', 8000);
    expect(catalog.status()).toMatchObject({
      stale: true,
      lastError: expect.stringMatching(/within 200 ms/),
    });
    expect(await names()).toEqual(['a']);
    fake.faults.hang = false;
    fake.createPod({ name: 'b', labels: LABELS });
    await waitFor(() => !catalog.status().stale, 'recovered', 8000);
    expect(catalog.status()).toMatchObject({ circuitState: 'CLOSED', lastError: null });
    await waitFor(() => events.some((e) => e.project.name === 'b'), 'missed pod', 3000);
    expect(await names()).toEqual(['a', 'b']);
    // Requests released late by the server are dropped, not applied: one watch per resource.
    await waitFor(() => fake.openWatches === 2, 'two watches', 3000);
    fake.deletePod('a');
    await waitFor(
      () => events.some((e) => e.type === 'REMOVED' && e.project.name === 'a'),
      'REMOVED',
      WATCH_MS,
    );
  });

  it('says plainly when the API refuses (RBAC), without opening the circuit', async () => {
    fake.faults.status403 = true;
    guard = new KubeApiGuard({ failureThreshold: 2, openMs: 300, timeoutMs: 1000 });
    source = new KubernetesProjectSource({
      kubeConfig: fake.kubeConfig(),
      namespace: NS,
      labelPrefix: P,
      configMapName: 'rdev-projects',
      guard,
      resyncMs: 600_000,
      retryMaxMs: 300,
    });
    catalog = new ProjectCatalog({ source, ttlMs: 600_000 });
    await catalog.start();
    const error = await catalog.list().catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error.message).toMatch(
      /^The Kubernetes API refused to list projects in namespace "rdev-test" \(HTTP 403: .*forbidden/,
    );
    expect(catalog.status().lastError).toMatch(/HTTP 403: .*cannot list resource/);
    expect(source.health().lastError).toMatch(/^HTTP 403: .*cannot list resource/);
    await waitFor(() => fake.requests.count({ verb: 'list' }) >= 6, 'retries', 5000);
    expect(guard.state).toBe('CLOSED');
    fake.faults.status403 = false;
    await waitFor(() => source.health().synced, 'synced', 5000);
    expect(await names()).toEqual([]);
  });

  it('keeps retrying when the API is down at start, and answers RUNTIME_UNAVAILABLE until then', async () => {
    fake.faults.http500 = true;
    guard = new KubeApiGuard({ failureThreshold: 3, openMs: 300, timeoutMs: 1000 });
    source = new KubernetesProjectSource({
      kubeConfig: fake.kubeConfig(),
      namespace: NS,
      labelPrefix: P,
      configMapName: 'rdev-projects',
      guard,
      resyncMs: 600_000,
      retryMaxMs: 300,
    });
    catalog = new ProjectCatalog({ source, ttlMs: 600_000 });
    await catalog.start();
    const error = await catalog.list().catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    fake.createPod({ name: 'late', labels: LABELS });
    fake.faults.http500 = false;
    await waitFor(() => source.health().synced, 'synced', 8000);
    expect(await names()).toEqual(['late']);
  });
});
