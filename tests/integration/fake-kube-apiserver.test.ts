import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import {
  ApiException,
  CoreV1Api,
  Exec,
  type KubeConfig,
  type KubernetesObject,
  makeInformer,
  type V1Pod,
  type V1Status,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { waitFor } from '../support/wait.js';

const NS = 'rdev-test';
const PROJECT = 'rdev.orchard9.ai/project';

const hasKubectl = (() => {
  try {
    execFileSync('which', ['kubectl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface WatchEvent {
  type: string;
  name?: string;
  object: KubernetesObject & { code?: number; reason?: string };
}

function watchPods(kc: KubeConfig, query: Record<string, string | number | boolean> = {}) {
  const events: WatchEvent[] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((r) => {
    resolveDone = r;
  });
  const started = new Watch(kc).watch(
    `/api/v1/namespaces/${NS}/pods`,
    query,
    (type, object) => events.push({ type, name: object.metadata?.name, object }),
    (err) => resolveDone(err),
  );
  return { events, done, started };
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status?: V1Status;
  closeCode: number;
  ws: WebSocket;
}

async function runExec(
  kc: KubeConfig,
  pod: string,
  command: string[],
  input?: { data: string; end: boolean },
): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = input ? new PassThrough() : null;
  const result = { stdout: '', stderr: '' } as ExecResult;
  stdout.on('data', (d) => {
    result.stdout += d;
  });
  stderr.on('data', (d) => {
    result.stderr += d;
  });
  const ws = await new Exec(kc).exec(NS, pod, 'workspace', command, stdout, stderr, stdin, false, (s) => {
    result.status = s;
  });
  result.ws = ws;
  if (stdin && input) {
    stdin.write(input.data);
    if (input.end) stdin.end();
  }
  result.closeCode = await new Promise<number>((r) => ws.on('close', (code) => r(code)));
  return result;
}

describe('fake kube-apiserver with the real @kubernetes/client-node', () => {
  let fake: FakeKubeApiServer;
  let kc: KubeConfig;
  let api: CoreV1Api;

  beforeEach(async () => {
    fake = await startFakeKubeApiServer({ namespace: NS });
    kc = fake.kubeConfig();
    api = kc.makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('lists and gets', () => {
    it('lists pods by label selector and serves real-looking Pod objects', async () => {
      fake.createPod({ name: 'p-a', labels: { [PROJECT]: 'true', tier: 'web' } });
      fake.createPod({ name: 'p-b', labels: { [PROJECT]: 'true', tier: 'db' }, phase: 'Pending' });
      fake.createPod({ name: 'p-c', labels: { other: 'x' } });
      const names = async (labelSelector: string) =>
        (await api.listNamespacedPod({ namespace: NS, labelSelector })).items
          .map((p) => p.metadata?.name)
          .sort();

      expect(await names(`${PROJECT}=true`)).toEqual(['p-a', 'p-b']);
      expect(await names(`${PROJECT}==true,tier!=db`)).toEqual(['p-a']);
      expect(await names('tier in (db, cache)')).toEqual(['p-b']);
      expect(await names('tier notin (db)')).toEqual(['p-a', 'p-c']);
      expect(await names(`!${PROJECT}`)).toEqual(['p-c']);
      expect(await names('tier')).toEqual(['p-a', 'p-b']);

      const list = await api.listNamespacedPod({ namespace: NS, fieldSelector: 'metadata.name=p-a' });
      expect(list.kind).toBe('PodList');
      expect(list.metadata?.resourceVersion).toBe(fake.resourceVersion);
      const pod = list.items[0]!;
      expect(pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p-a', namespace: NS } });
      expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(pod.metadata?.resourceVersion).toBe('1');
      expect(pod.metadata?.creationTimestamp).toBeInstanceOf(Date);
      expect(pod.spec?.containers).toMatchObject([{ name: 'workspace', image: 'busybox' }]);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.status?.podIP).toMatch(/^10\.244\./);

      const pending = await api.readNamespacedPod({ namespace: NS, name: 'p-b' });
      expect(pending.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    });

    it('answers a missing pod with a 404 Status and a bad selector with 400', async () => {
      const err = await api.readNamespacedPod({ namespace: NS, name: 'ghost' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<string>).code).toBe(404);
      // The 1.4 client leaves error bodies as unparsed text.
      expect(JSON.parse((err as ApiException<string>).body)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'pods "ghost" not found',
        reason: 'NotFound',
        details: { name: 'ghost', kind: 'pods' },
        code: 404,
      });
      const bad = await api.listNamespacedPod({ namespace: NS, labelSelector: 'a in (' }).catch((e) => e);
      expect((bad as ApiException<string>).code).toBe(400);
    });

    it('lists and gets config maps, with one resourceVersion counter across kinds', async () => {
      fake.createPod({ name: 'p' });
      fake.upsertConfigMap('rdev-projects', { 'projects.yaml': 'a: 1\n' });
      fake.upsertConfigMap('other', { x: 'y' });
      const updated = fake.upsertConfigMap('rdev-projects', { 'projects.yaml': 'a: 2\n' });
      expect(updated.metadata.resourceVersion).toBe('4');

      const list = await api.listNamespacedConfigMap({
        namespace: NS,
        fieldSelector: 'metadata.name=rdev-projects',
      });
      expect(list.kind).toBe('ConfigMapList');
      expect(list.items.map((c) => c.data)).toEqual([{ 'projects.yaml': 'a: 2\n' }]);
      const cm = await api.readNamespacedConfigMap({ namespace: NS, name: 'rdev-projects' });
      expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { resourceVersion: '4' } });

      fake.deleteConfigMap('rdev-projects');
      const err = await api.readNamespacedConfigMap({ namespace: NS, name: 'rdev-projects' }).catch((e) => e);
      expect((err as ApiException<string>).code).toBe(404);
    });
  });

  describe('watch', () => {
    it('streams ADDED, MODIFIED and DELETED from a resourceVersion, filtered by label', async () => {
      fake.createPod({ name: 'before', labels: { [PROJECT]: 'true' } });
      const list = await api.listNamespacedPod({ namespace: NS });
      const w = watchPods(kc, {
        resourceVersion: list.metadata!.resourceVersion!,
        labelSelector: `${PROJECT}=true`,
      });
      await w.started;
      await waitFor(() => fake.openWatches === 1);

      fake.createPod({ name: 'w', labels: { [PROJECT]: 'true' } });
      fake.createPod({ name: 'ignored', labels: { other: 'x' } });
      fake.updatePod('w', { ready: false });
      fake.updatePod('before', { labels: { [PROJECT]: 'false' } });
      fake.deletePod('w');
      await waitFor(() => w.events.length === 4);
      expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual([
        'ADDED w',
        'MODIFIED w',
        // A pod that stops matching the selector leaves the watch as DELETED.
        'DELETED before',
        'DELETED w',
      ]);
      const rvs = w.events.map((e) => Number(e.object.metadata?.resourceVersion));
      expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
      (await w.started).abort();
    });

    it('replays history after the given resourceVersion and starts with ADDED for all when it has none', async () => {
      const first = fake.createPod({ name: 'one' });
      fake.createPod({ name: 'two' });
      const replay = watchPods(kc, { resourceVersion: first.metadata.resourceVersion });
      const fresh = watchPods(kc);
      await waitFor(() => replay.events.length === 1 && fresh.events.length === 2);
      expect(replay.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED two']);
      expect(fresh.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED one', 'ADDED two']);
      (await replay.started).abort();
      (await fresh.started).abort();
    });

    it('answers a watch from a compacted resourceVersion with an ERROR 410 Expired event, then ends', async () => {
      const old = fake.createPod({ name: 'a' }).metadata.resourceVersion;
      fake.updatePod('a', { ready: false });
      fake.compactHistory();
      const w = watchPods(kc, { resourceVersion: old });
      expect(await w.done).toBeNull();
      expect(w.events).toHaveLength(1);
      expect(w.events[0]!.type).toBe('ERROR');
      expect(w.events[0]!.object).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    });

    it('reports a dropped watch to the done callback as a premature close error', async () => {
      const w = watchPods(kc);
      await w.started;
      await waitFor(() => fake.openWatches === 1);
      fake.faults.dropWatches();
      const err = await w.done;
      expect(err).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    });

    it('ends a watch after timeoutSeconds with a last BOOKMARK when bookmarks are allowed', async () => {
      fake.createPod({ name: 'a' });
      const w = watchPods(kc, {
        resourceVersion: fake.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: 1,
      });
      expect(await w.done).toBeNull();
      expect(w.events.map((e) => e.type)).toEqual(['BOOKMARK']);
      expect(w.events[0]!.object.metadata?.resourceVersion).toBe(fake.resourceVersion);
    });

    it('drives makeInformer: list, watch, relist after 410, and stop on a dropped stream', async () => {
      fake.createPod({ name: 'a', labels: { [PROJECT]: 'true' } });
      const selector = `${PROJECT}=true`;
      const informer = makeInformer<V1Pod>(
        kc,
        `/api/v1/namespaces/${NS}/pods`,
        () => api.listNamespacedPod({ namespace: NS, labelSelector: selector }),
        selector,
      );
      const seen: string[] = [];
      const errors: unknown[] = [];
      informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
      informer.on('update', (p) => seen.push(`update ${p.metadata?.name}`));
      informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
      informer.on('error', (e) => errors.push(e));
      await informer.start();
      await waitFor(() => fake.openWatches === 1);
      fake.createPod({ name: 'b', labels: { [PROJECT]: 'true' } });
      fake.updatePod('a', { ready: false });
      await waitFor(() => seen.length === 3);
      expect(seen).toEqual(['add a', 'add b', 'update a']);

      // While its re-watch is held, the pod it knows is deleted and history compacted: the
      // re-watch from its resourceVersion gets 410, and it lists again, noticing the delete.
      fake.faults.hang = true;
      fake.faults.endWatches();
      await waitFor(() => fake.requests.count({ verb: 'watch' }) === 2);
      fake.deletePod('b');
      fake.compactHistory();
      fake.faults.hang = false;
      await waitFor(
        () => fake.requests.count({ verb: 'list', resource: 'pods' }) === 2 && fake.openWatches === 1,
      );
      await waitFor(() => seen.length === 4);
      expect(seen[3]).toBe('delete b');
      expect(informer.list().map((p) => p.metadata?.name)).toEqual(['a']);

      // A cut stream is an error to the informer, which then stops for good until started again.
      fake.faults.dropWatches();
      await waitFor(() => errors.length === 1);
      expect(errors[0]).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
      await new Promise((r) => setTimeout(r, 100));
      expect(fake.openWatches).toBe(0);
      await informer.stop();
    });
  });

  describe('exec', () => {
    it('runs the command in the pod folder with stdout, stderr, stdin EOF (v5) and the exit code', async () => {
      fake.createPod({ name: 'p' });
      const r = await runExec(kc, 'p', ['sh', '-c', 'echo out; echo err >&2; cat; pwd; exit 3'], {
        data: 'from-stdin\n',
        end: true,
      });
      expect(r.ws.protocol).toBe('v5.channel.k8s.io');
      expect(r.stdout).toBe(`out\nfrom-stdin\n${fake.podDir('p')}\n`);
      expect(r.stderr).toBe('err\n');
      expect(r.status).toEqual({
        metadata: {},
        status: 'Failure',
        message:
          'command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; cat; pwd; exit 3], exit code 3',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      });
      expect(r.closeCode).toBe(1000);
      expect(fake.execCount).toBe(1);
      expect(fake.execs[0]).toMatchObject({ pod: 'p', container: 'workspace', exitCode: 3 });
      const ok = await runExec(kc, 'p', ['true']);
      expect(ok.status).toEqual({ metadata: {}, status: 'Success' });
    });

    it('reports a missing binary the way containerd does, without an exit code', async () => {
      fake.createPod({ name: 'p' });
      const r = await runExec(kc, 'p', ['no-such-binary-xyz']);
      expect(r.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
      expect(r.status?.message).toContain('"no-such-binary-xyz": executable file not found in $PATH');
    });

    it('refuses before the upgrade for a missing or not running pod; the client only sees the code', async () => {
      fake.createPod({ name: 'pending', phase: 'Pending' });
      const missing = await runExec(kc, 'ghost', ['true']).catch((e: { message?: string }) => e);
      expect(missing).toMatchObject({ message: 'Unexpected server response: 404' });
      const pending = await runExec(kc, 'pending', ['true']).catch((e: { message?: string }) => e);
      expect(pending).toMatchObject({ message: 'Unexpected server response: 400' });
      expect(fake.execCount).toBe(0);
    });

    it('under v4 has no stdin EOF: ending stdin closes the socket, so send a known byte count instead', async () => {
      await fake.close();
      fake = await startFakeKubeApiServer({ namespace: NS, execProtocols: ['v4.channel.k8s.io'] });
      kc = fake.kubeConfig();
      fake.createPod({ name: 'p' });
      const counted = await runExec(kc, 'p', ['sh', '-c', 'head -c 5 > f && cat f'], {
        data: 'hello',
        end: false,
      });
      expect(counted.ws.protocol).toBe('v4.channel.k8s.io');
      expect(counted.stdout).toBe('hello');
      expect(counted.status).toEqual({ metadata: {}, status: 'Success' });

      const ended = await runExec(kc, 'p', ['sh', '-c', 'cat; echo done'], { data: 'x', end: true });
      expect(ended.status).toBeUndefined();
      expect(ended.closeCode).toBe(1005);
    });

    it('dropExecSockets cuts the connection but the process runs on', async () => {
      fake.createPod({ name: 'p' });
      const marker = join(fake.podDir('p'), 'finished');
      const running = runExec(kc, 'p', ['sh', '-c', 'echo started; sleep 0.3; echo late > finished']);
      await waitFor(() => fake.execCount === 1 && fake.execs[0]!.pid !== undefined);
      await new Promise((r) => setTimeout(r, 50));
      fake.faults.dropExecSockets();
      const r = await running;
      expect(r.closeCode).toBe(1006);
      expect(r.status).toBeUndefined();
      expect(existsSync(marker)).toBe(false);
      await waitFor(() => existsSync(marker));
      expect(readFileSync(marker, 'utf8')).toBe('late\n');
    });

    it('close() kills the processes it started but not ones that moved to their own session', async () => {
      const root = mkdtempSync(join(tmpdir(), 'fake-kube-test-'));
      try {
        await fake.close();
        fake = await startFakeKubeApiServer({ namespace: NS, rootDir: root });
        kc = fake.kubeConfig();
        fake.createPod({ name: 'p' });
        const script = 'setsid sh -c "sleep 0.4; touch survived" </dev/null >/dev/null 2>&1 & sleep 30';
        const running = runExec(kc, 'p', ['sh', '-c', script]);
        await waitFor(() => fake.execs[0]?.pid !== undefined);
        const pid = fake.execs[0]!.pid!;
        await new Promise((r) => setTimeout(r, 100));
        await fake.close();
        expect((await running).closeCode).toBe(1006);
        expect(isAlive(pid)).toBe(false);
        await waitFor(() => existsSync(join(root, 'p', 'survived')));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('faults and request log', () => {
    it('fails the next N requests with 500 and counts every request', async () => {
      fake.createPod({ name: 'p' });
      fake.faults.http500 = 1;
      const err = await api.listNamespacedPod({ namespace: NS }).catch((e) => e);
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<string>).code).toBe(500);
      expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({
        reason: 'InternalError',
        code: 500,
      });
      expect((await api.listNamespacedPod({ namespace: NS })).items).toHaveLength(1);
      expect(fake.requests.count({ verb: 'list', resource: 'pods' })).toBe(2);
      expect(fake.requests.entries[0]!.authorization).toBe('Bearer fake-token');
    });

    it('holds requests while hanging and answers them when released', async () => {
      fake.faults.hang = true;
      let settled = false;
      const pending = api.listNamespacedPod({ namespace: NS }).finally(() => {
        settled = true;
      });
      await waitFor(() => fake.requests.count() === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(settled).toBe(false);
      fake.faults.hang = false;
      expect((await pending).items).toEqual([]);
    });

    it('answers 403 for everything or 404 for pods when switched on', async () => {
      fake.createPod({ name: 'p' });
      fake.faults.status404ForPods = true;
      expect((await api.readNamespacedPod({ namespace: NS, name: 'p' }).catch((e) => e)).code).toBe(404);
      expect((await api.listNamespacedConfigMap({ namespace: NS })).items).toEqual([]);
      fake.faults.status404ForPods = false;
      fake.faults.status403 = true;
      const denied = await api.listNamespacedPod({ namespace: NS }).catch((e) => e);
      expect(denied.code).toBe(403);
      expect(JSON.parse(denied.body)).toMatchObject({ reason: 'Forbidden' });
    });
  });

  it.skipIf(!hasKubectl)('fidelity check (needs kubectl on PATH): kubectl get pods -l works', async () => {
    fake.createPod({ name: 'kube-a', labels: { [PROJECT]: 'true' } });
    fake.createPod({ name: 'kube-b' });
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
    try {
      const { stdout } = await promisify(execFile)(
        'kubectl',
        [
          '--server',
          fake.url,
          '--cache-dir',
          join(dir, 'cache'),
          'get',
          'pods',
          '-l',
          `${PROJECT}=true`,
          '-n',
          NS,
        ],
        { env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'none') } },
      );
      expect(stdout).toMatch(/^NAME\s+READY\s+STATUS/);
      expect(stdout).toMatch(/kube-a\s+1\/1\s+Running/);
      expect(stdout).not.toContain('kube-b');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
