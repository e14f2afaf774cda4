import { createServer } from 'node:net';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abortable } from '../../src/adapters/kubernetes/abortable.js';
import { KubeApiGuard } from '../../src/adapters/kubernetes/kube-api-guard.js';
import { RuntimeUnavailableError } from '../../src/domain/errors.js';
import { AppMetrics } from '../../src/observability/metrics.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';

const NS = 'rdev-test';

async function metricValue(
  metrics: AppMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return value?.value ?? 0;
}

describe('Kubernetes API guard: time limits and circuit breaker around the real client', () => {
  let fake: FakeKubeApiServer;
  let api: CoreV1Api;
  let metrics: AppMetrics;
  let guard: KubeApiGuard;
  const list = () =>
    guard.execute('list', (signal) => api.listNamespacedPod({ namespace: NS }, abortable(signal)));

  beforeEach(async () => {
    fake = await startFakeKubeApiServer({ namespace: NS });
    api = fake.kubeConfig().makeApiClient(CoreV1Api);
    metrics = new AppMetrics();
    guard = new KubeApiGuard({ failureThreshold: 3, openMs: 300, timeoutMs: 300, metrics });
  });

  afterEach(async () => {
    fake.faults.hang = false;
    await fake.close();
  });

  it('opens after the configured 5xx failures, then fails fast without calling; a probe closes it', async () => {
    fake.createPod({ name: 'p' });
    expect((await list()).items).toHaveLength(1);
    fake.faults.http500 = true;
    for (let i = 0; i < 3; i++) {
      const error = await list().catch((e) => e);
      expect(error).toBeInstanceOf(RuntimeUnavailableError);
      expect(error).toMatchObject({ code: 'RUNTIME_UNAVAILABLE', details: { verb: 'list', status: 500 } });
    }
    expect(guard.state).toBe('OPEN');
    const requestsWhenOpened = fake.requests.count();

    const durations: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const error = await list().catch((e) => e);
      durations.push(performance.now() - started);
      expect(error).toBeInstanceOf(RuntimeUnavailableError);
      expect(error.message).toMatch(/circuit breaker opened after 3 consecutive failures \(last: HTTP 500/);
      expect(error.details).toMatchObject({ circuitState: 'OPEN' });
    }
    expect(fake.requests.count()).toBe(requestsWhenOpened);
    durations.sort((a, b) => a - b);
    expect(durations[10]).toBeLessThan(10);
    expect(await metricValue(metrics, 'rdev_kubernetes_api_circuit_state', { state: 'open' })).toBe(1);
    expect(
      await metricValue(metrics, 'rdev_kubernetes_api_requests_total', {
        verb: 'list',
        outcome: 'circuit_open',
      }),
    ).toBe(20);
    expect(
      await metricValue(metrics, 'rdev_kubernetes_api_requests_total', {
        verb: 'list',
        outcome: 'server_error',
      }),
    ).toBe(3);

    // While it still fails, the probe after openMs opens the circuit again.
    await new Promise((r) => setTimeout(r, 350));
    expect((await list().catch((e) => e)).details).toMatchObject({ status: 500 });
    expect(guard.state).toBe('OPEN');
    expect(fake.requests.count()).toBe(requestsWhenOpened + 1);

    fake.faults.http500 = false;
    await new Promise((r) => setTimeout(r, 350));
    const states: string[] = [];
    guard.onStateChange((s) => states.push(s));
    expect((await list()).items).toHaveLength(1);
    expect(states).toEqual(['HALF_OPEN', 'CLOSED']);
    expect(guard.state).toBe('CLOSED');
    expect(await metricValue(metrics, 'rdev_kubernetes_api_circuit_state', { state: 'closed' })).toBe(1);
  });

  it('never opens on 404 or 403, and hands those errors back unchanged', async () => {
    fake.faults.status404ForPods = true;
    for (let i = 0; i < 5; i++) {
      const error = await guard
        .execute('get', (signal) => api.readNamespacedPod({ namespace: NS, name: 'gone' }, abortable(signal)))
        .catch((e) => e);
      expect(error).toBeInstanceOf(ApiException);
      expect(error.code).toBe(404);
    }
    fake.faults.status404ForPods = false;
    fake.faults.status403 = true;
    for (let i = 0; i < 5; i++) expect((await list().catch((e) => e)).code).toBe(403);
    expect(guard.state).toBe('CLOSED');
    expect(
      await metricValue(metrics, 'rdev_kubernetes_api_requests_total', {
        verb: 'list',
        outcome: 'client_error',
      }),
    ).toBe(5);
    // A 4xx does not reset the count of server failures either way; a success does.
    fake.faults.status403 = false;
    fake.faults.http500 = 2;
    await list().catch(() => {});
    await list().catch(() => {});
    await list();
    fake.faults.http500 = 2;
    await list().catch(() => {});
    await list().catch(() => {});
    expect(guard.state).toBe('CLOSED');
  });

  it('times out a hung call, counts timeouts as failures, and bounds the half-open probe', async () => {
    fake.faults.hang = true;
    const error = await list().catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error.message).toBe('The Kubernetes API did not answer a list request within 300 ms.');
    await list().catch(() => {});
    await list().catch(() => {});
    expect(guard.state).toBe('OPEN');
    expect(
      await metricValue(metrics, 'rdev_kubernetes_api_requests_total', { verb: 'list', outcome: 'timeout' }),
    ).toBe(3);

    // The server still hangs when the probe goes out: the probe times out and the circuit reopens
    // instead of sticking half-open.
    await new Promise((r) => setTimeout(r, 350));
    const probe = await list().catch((e) => e);
    expect(probe.details).toMatchObject({ timeoutMs: 300 });
    expect(guard.state).toBe('OPEN');

    // A per-call limit overrides the default.
    await new Promise((r) => setTimeout(r, 350));
    fake.faults.hang = false;
    const ok = await guard.execute(
      'list',
      (signal) => api.listNamespacedPod({ namespace: NS }, abortable(signal)),
      {
        timeoutMs: 2000,
      },
    );
    expect(ok.items).toEqual([]);
    expect(guard.state).toBe('CLOSED');
  });

  it('treats a refused connection as a server failure', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'none', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'none', user: 'u' }],
      currentContext: 'c',
    });
    const dead = kc.makeApiClient(CoreV1Api);
    const error = await guard
      .execute('list', (signal) => dead.listNamespacedPod({ namespace: NS }, abortable(signal)))
      .catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(
      await metricValue(metrics, 'rdev_kubernetes_api_requests_total', {
        verb: 'list',
        outcome: 'connection_error',
      }),
    ).toBe(1);
  });
});
