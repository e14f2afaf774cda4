import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesExecTransport } from '../../src/adapters/kubernetes/kubernetes-exec-transport.js';
import { SupervisorRuntime } from '../../src/adapters/supervisor/supervisor-runtime.js';
import { RuntimeUnavailableError } from '../../src/domain/errors.js';
import type { ExecProcess } from '../../src/ports/exec-transport.js';
import type { WorkspaceTarget } from '../../src/ports/workspace-runtime.js';
import { type FakeKubeApiServer, startFakeKubeApiServer } from '../support/fake-kube-apiserver.js';
import { killRunGroups } from '../support/runtime-harness.js';

async function collect(proc: ExecProcess) {
  const parts: Buffer[] = [];
  for await (const chunk of proc.stdout) parts.push(Buffer.from(chunk));
  return { stdout: Buffer.concat(parts).toString(), outcome: await proc.done };
}

describe('KubernetesExecTransport against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let target: WorkspaceTarget;

  beforeEach(async () => {
    fake = await startFakeKubeApiServer();
    fake.createPod({ name: 'ws-0' });
    target = { projectName: 'demo', workspacePath: fake.podDir('ws-0'), podName: 'ws-0' };
  });
  afterEach(async () => {
    killRunGroups(fake.podDir('ws-0'));
    await fake.close();
  });

  it('runs argv without a shell and reports exit codes, stderr and unstartable programs', async () => {
    const transport = new KubernetesExecTransport({ kubeConfig: fake.kubeConfig() });
    const ok = await collect(await transport.exec(target, ['printf', '%s|', '$(id)', '; id']));
    expect(ok).toEqual({ stdout: '$(id)|; id|', outcome: { kind: 'exited', exitCode: 0, stderr: '' } });
    const failed = await collect(await transport.exec(target, ['sh', '-c', 'echo oops >&2; exit 3']));
    expect(failed.outcome).toEqual({ kind: 'exited', exitCode: 3, stderr: 'oops\n' });
    const missing = await collect(await transport.exec(target, ['no-such-binary-rdev']));
    expect(missing.outcome).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('executable file not found'),
    });
  });

  it('turns a missing or stopped pod, a refusal and a hung API into RuntimeUnavailableError', async () => {
    const transport = new KubernetesExecTransport({ kubeConfig: fake.kubeConfig(), connectTimeoutMs: 500 });
    const error = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (e: unknown) => e,
      );

    const ghost = await error(transport.exec({ ...target, podName: 'ghost' }, ['true']));
    expect(ghost).toBeInstanceOf(RuntimeUnavailableError);
    expect(ghost).toMatchObject({
      message: expect.stringContaining('was not found'),
      details: { httpStatus: 404 },
    });

    fake.createPod({ name: 'pending', phase: 'Pending' });
    expect(await error(transport.exec({ ...target, podName: 'pending' }, ['true']))).toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
      details: { httpStatus: 400 },
    });
    expect(await error(transport.exec({ ...target, podName: null }, ['true']))).toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
      message: expect.stringContaining('has no pod'),
    });

    fake.faults.status403 = true;
    expect(await error(transport.exec(target, ['true']))).toMatchObject({
      message: expect.stringContaining('pods/exec'),
      details: { httpStatus: 403 },
    });
    fake.faults.status403 = false;

    fake.faults.hang = true;
    expect(await error(transport.exec(target, ['true']))).toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
      message: expect.stringContaining('500 ms'),
    });
    fake.faults.hang = false;
  });

  it('calls the guard around each connection and reports what the guard throws as unavailable', async () => {
    const seen: unknown[] = [];
    let open = true;
    const transport = new KubernetesExecTransport({
      kubeConfig: fake.kubeConfig(),
      guard: async (fn) => {
        if (!open) throw new Error('circuit open');
        try {
          return await fn();
        } catch (error) {
          seen.push(error);
          throw error;
        }
      },
    });
    await collect(await transport.exec(target, ['true']));
    await expect(transport.exec({ ...target, podName: 'ghost' }, ['true'])).rejects.toBeInstanceOf(
      RuntimeUnavailableError,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ code: 'RUNTIME_UNAVAILABLE', details: { httpStatus: 404 } });
    open = false;
    const runtime = new SupervisorRuntime({ transport });
    await expect(runtime.status(target, 'x1')).rejects.toMatchObject({
      code: 'RUNTIME_UNAVAILABLE',
      message: expect.stringContaining('circuit open'),
    });
  });

  it('pauses the socket for a slow reader instead of buffering without bound', async () => {
    const transport = new KubernetesExecTransport({
      kubeConfig: fake.kubeConfig(),
      highWaterMark: 64 * 1024,
    });
    // About 8 MiB, read slowly: the reader sees it all, in order, and the process ends normally.
    const proc = await transport.exec(target, ['sh', '-c', 'head -c 8388608 /dev/zero | tr "\\0" "x"']);
    let total = 0;
    let most = 0;
    for await (const chunk of proc.stdout) {
      total += chunk.length;
      const buffered = proc.stdout as unknown as { readableLength: number; writableLength: number };
      most = Math.max(most, buffered.readableLength + buffered.writableLength);
      if (total < 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(total).toBe(8 * 1024 * 1024);
    expect(await proc.done).toMatchObject({ kind: 'exited', exitCode: 0 });
    // One WebSocket message can land after the pause; nothing like the whole output piles up.
    expect(most).toBeLessThan(2 * 1024 * 1024);
  });
});
