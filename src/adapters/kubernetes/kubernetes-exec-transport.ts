import { PassThrough } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { WebSocket } from 'ws';
import { DomainError, RuntimeUnavailableError } from '../../domain/errors.js';
import {
  type ExecOptions,
  type ExecOutcome,
  type ExecProcess,
  type ExecTransport,
  StderrTail,
} from '../../ports/exec-transport.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';

/** Wraps calls to the Kubernetes API, e.g. in a circuit breaker. */
export type KubernetesCallGuard = <T>(fn: () => Promise<T>) => Promise<T>;

export interface KubernetesExecTransportDeps {
  kubeConfig: KubeConfig;
  /** Namespace for targets that name none; default: the kubeconfig context's, else `default`. */
  namespace?: string;
  /** Container for targets that name none; default: let the API server pick the pod's only one. */
  container?: string;
  /**
   * Runs around opening each exec connection (not around the stream that follows). Errors thrown
   * inside are `RuntimeUnavailableError`s whose `details.httpStatus` is the API server's answer
   * (absent for network failures and timeouts), so a breaker can ignore 4xx. Errors the guard
   * throws itself (an open circuit) reach callers as `RuntimeUnavailableError`.
   */
  guard?: KubernetesCallGuard;
  /** How long opening an exec connection may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** Output buffered for a slow consumer before the socket is paused. Default 1 MiB. */
  highWaterMark?: number;
}

const passThroughGuard: KubernetesCallGuard = (fn) => fn();

/**
 * Runs programs in a pod's container through the exec subresource over WebSocket
 * (`@kubernetes/client-node`), the way `kubectl exec` does. Works with the v5 and v4 channel
 * protocols: stdin is written and never closed (v4 cannot signal end of input without closing the
 * socket), so programs must read a known byte count.
 */
export class KubernetesExecTransport implements ExecTransport {
  private readonly exec_: Exec;
  private readonly namespace: string;
  private readonly container: string;
  private readonly guard: KubernetesCallGuard;
  private readonly connectTimeoutMs: number;
  private readonly highWaterMark: number;

  constructor(deps: KubernetesExecTransportDeps) {
    this.exec_ = new Exec(deps.kubeConfig);
    this.namespace =
      deps.namespace ??
      deps.kubeConfig.getContextObject(deps.kubeConfig.getCurrentContext())?.namespace ??
      'default';
    this.container = deps.container ?? '';
    this.guard = deps.guard ?? passThroughGuard;
    this.connectTimeoutMs = deps.connectTimeoutMs ?? 10_000;
    this.highWaterMark = deps.highWaterMark ?? 1024 * 1024;
  }

  async exec(
    target: WorkspaceTarget,
    argv: readonly string[],
    options: ExecOptions = {},
  ): Promise<ExecProcess> {
    if (argv.length === 0) throw new RangeError('argv must name a program');
    const where = {
      project: target.projectName,
      pod: target.podName ?? null,
      namespace: target.namespace || this.namespace,
    };
    if (!target.podName) {
      throw new RuntimeUnavailableError(
        `Project "${target.projectName}" has no pod to run commands in.`,
        where,
      );
    }
    const pod = target.podName;
    const stdout = new PassThrough({ highWaterMark: this.highWaterMark });
    const stderrStream = new PassThrough();
    const stderr = new StderrTail();
    stderrStream.on('data', (chunk: Buffer) => stderr.push(chunk));
    const stdin = options.stdin ? new PassThrough() : null;
    let status: V1Status | undefined;
    let socket: WebSocket | undefined;

    // The client writes to stdout without looking at the result; pausing the socket when the
    // buffer is full turns a slow consumer into TCP back-pressure instead of memory growth.
    const write = stdout.write.bind(stdout) as (chunk: unknown) => boolean;
    stdout.write = ((chunk: unknown) => {
      const ok = write(chunk);
      if (!ok) socket?.pause();
      return ok;
    }) as typeof stdout.write;
    stdout.on('drain', () => socket?.resume());

    const connect = () =>
      this.exec_.exec(
        where.namespace,
        pod,
        target.container || this.container,
        [...argv],
        stdout,
        stderrStream,
        stdin,
        false,
        (s) => {
          status = s;
        },
      );
    try {
      socket = await this.guard(async () => {
        try {
          return await withTimeout(connect, this.connectTimeoutMs, where);
        } catch (error) {
          throw asUnavailable(error, where);
        }
      });
    } catch (error) {
      throw asUnavailable(error, where);
    }
    const ws = socket;
    if (stdin && options.stdin) stdin.write(Buffer.from(options.stdin));

    let closedByUs = false;
    const done = new Promise<ExecOutcome>((resolve) => {
      ws.once('close', (code: number) => {
        // Without a status the stream ended early; the client only ends stdout on a status.
        if (!stdout.writableEnded) stdout.end();
        if (!stderrStream.writableEnded) stderrStream.end();
        const text = stderr.text();
        if (status) resolve(outcomeOf(status, text));
        else if (closedByUs) resolve({ kind: 'dropped', message: 'closed by the caller', stderr: text });
        else resolve({ kind: 'dropped', message: `exec connection closed (code ${code})`, stderr: text });
      });
    });
    return {
      stdout,
      done,
      close() {
        if (closedByUs || status) return;
        closedByUs = true;
        ws.terminate();
      },
    };
  }
}

function outcomeOf(status: V1Status, stderr: string): ExecOutcome {
  if (status.status === 'Success') return { kind: 'exited', exitCode: 0, stderr };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code) && code >= 0) return { kind: 'exited', exitCode: code, stderr };
  }
  return { kind: 'failed', message: status.message ?? 'the exec failed without a message', stderr };
}

function withTimeout(
  connect: () => Promise<WebSocket>,
  timeoutMs: number,
  where: Record<string, unknown>,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(
        new RuntimeUnavailableError(`Opening an exec connection took longer than ${timeoutMs} ms.`, where),
      );
    }, timeoutMs);
    connect().then(
      (ws) => {
        clearTimeout(timer);
        // Too late: nobody listens any more.
        if (timedOut) ws.terminate();
        else resolve(ws);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The API server's HTTP status in the `ws` upgrade failure ("Unexpected server response: 404"). */
function httpStatusOf(error: unknown): number | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  const match = /Unexpected server response: (\d{3})/.exec(message);
  return match ? Number(match[1]) : undefined;
}

function asUnavailable(error: unknown, where: { project: string; pod: string | null; namespace: string }) {
  if (error instanceof DomainError) return error;
  const httpStatus = httpStatusOf(error);
  const pod = `pod "${where.pod}" in namespace "${where.namespace}"`;
  const reason =
    httpStatus === 404
      ? `${pod} was not found`
      : httpStatus === 400
        ? `${pod} is not running or has no such container`
        : httpStatus === 401 || httpStatus === 403
          ? `rdev may not exec into ${pod} (grant "create" and "get" on pods/exec)`
          : `the Kubernetes API did not open an exec into ${pod}: ${messageOf(error)}`;
  return new RuntimeUnavailableError(`Project "${where.project}" is unavailable: ${reason}.`, {
    ...where,
    ...(httpStatus === undefined ? {} : { httpStatus }),
  });
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : String(error);
}
