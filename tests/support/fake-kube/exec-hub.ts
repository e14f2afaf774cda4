import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { WebSocket } from 'ws';
import { badRequest, CONTAINER_NAME, type KubeObject, type KubeStatus, notFound } from './objects.js';

/** Subprotocols in the order kube-apiserver prefers them. */
export const DEFAULT_EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

/** One exec the fake ran. */
export interface ExecRecord {
  pod: string;
  container: string;
  command: string[];
  protocol: string;
  /** Process id (also its process group id); undefined when the binary could not start. */
  pid?: number;
  /** Set when the process has ended and its output pipes closed. */
  exitCode?: number;
}

export interface ExecRequest {
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  cwd: string;
  env: Record<string, string>;
}

/** Parses the exec query and refuses what kube-apiserver refuses before upgrading. */
export function parseExecRequest(
  query: URLSearchParams,
  podName: string,
  pod: KubeObject | undefined,
): Omit<ExecRequest, 'cwd' | 'env'> | KubeStatus {
  if (!pod) return notFound('pods', podName);
  const phase = (pod.status as { phase?: string }).phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    return badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  }
  const container = query.get('container') || CONTAINER_NAME;
  if (container !== CONTAINER_NAME)
    return badRequest(`container ${container} is not valid for pod ${podName}`);
  if (phase !== 'Running') return badRequest(`container not found ("${container}")`);
  const flag = (name: string) => query.get(name) === 'true' || query.get(name) === '1';
  const command = query.getAll('command');
  if (command.length === 0) return badRequest('you must specify at least 1 command');
  const streams = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
  if (!streams.stdin && !streams.stdout && !streams.stderr) {
    return badRequest('you must specify at least 1 of stdin, stdout, stderr');
  }
  return { pod: podName, container, command, ...streams };
}

/** The channel-3 status as the kubelet writes it: a bare `metav1.Status` without kind. */
function exitStatus(command: string[], code: number): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** What containerd answers when the binary cannot be started (no exit code cause). */
function startFailure(command: string[], err: NodeJS.ErrnoException): object {
  const why = err.code === 'ENOENT' ? 'executable file not found in $PATH' : (err.code ?? err.message);
  const cause =
    'error executing command in container: failed to exec in container: failed to start exec "fake": ' +
    `OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": ${why}: unknown`;
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${cause}`,
    reason: 'InternalError',
    details: { causes: [{ message: cause }] },
    code: 500,
  };
}

/**
 * Runs exec sessions as local processes in the pod's folder, speaking the channel protocol
 * over the upgraded WebSocket. A closed socket leaves the process running (its stdin gets EOF
 * and its output is drained), as with a real container runtime.
 */
export class ExecHub {
  readonly records: ExecRecord[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly protocols: string[]) {}

  /** For `WebSocketServer#handleProtocols`: the server's most preferred protocol the client offered. */
  pickProtocol(offered: Set<string>): string | false {
    return this.protocols.find((p) => offered.has(p)) ?? false;
  }

  run(ws: WebSocket, req: ExecRequest): void {
    const record: ExecRecord = {
      pod: req.pod,
      container: req.container,
      command: req.command,
      protocol: ws.protocol,
    };
    this.records.push(record);
    this.sockets.add(ws);
    const jsonStatus = ws.protocol === 'v4.channel.k8s.io' || ws.protocol === 'v5.channel.k8s.io';
    const send = (channel: number, data: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    const finish = (status: object) => {
      if (ws.readyState !== ws.OPEN) return;
      const failed = (status as { status?: string }).status !== 'Success';
      if (jsonStatus) send(STATUS, Buffer.from(JSON.stringify(status)));
      else if (failed) send(STATUS, Buffer.from((status as { message?: string }).message ?? 'error'));
      ws.close(1000);
    };

    const child = spawn(req.command[0]!, req.command.slice(1), {
      cwd: req.cwd,
      env: req.env,
      stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, so close() can stop what it started without touching processes
      // that moved to their own session with setsid.
      detached: true,
    });
    record.pid = child.pid;
    let done = false;
    child.on('error', (err) => {
      if (done || child.pid !== undefined) return;
      done = true;
      finish(startFailure(req.command, err));
    });
    if (child.pid === undefined) return;
    this.running.add(child);

    child.stdin?.on('error', () => {});
    child.stdout!.on('data', (chunk: Buffer) => {
      if (req.stdout) send(STDOUT, chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (req.stderr || req.tty) send(req.tty ? STDOUT : STDERR, chunk);
    });
    child.on('close', (code, signal) => {
      this.running.delete(child);
      if (done) return;
      done = true;
      const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      record.exitCode = exitCode;
      finish(exitStatus(req.command, exitCode));
    });

    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const buf = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      if (buf[0] === STDIN && child.stdin?.writable) child.stdin.write(buf.subarray(1));
      else if (buf[0] === CLOSE && buf[1] === STDIN && ws.protocol === 'v5.channel.k8s.io')
        child.stdin?.end();
      // Channel 4 (terminal resize) has nothing to resize here.
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      this.sockets.delete(ws);
      child.stdin?.end();
    });
  }

  /** Cuts every exec connection without a close handshake; the processes go on. */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Kills the process groups of execs in a pod, as deleting the pod kills its containers. */
  killPod(pod: string): void {
    for (const r of this.records) if (r.pod === pod && r.pid !== undefined) killGroup(r.pid);
  }

  /** Terminates all sockets and kills every process group still running; waits for them to end. */
  async close(): Promise<void> {
    this.dropSockets();
    const children = [...this.running];
    this.running.clear();
    // Background jobs an exec left behind share its process group; setsid ones do not.
    for (const { pid } of this.records) if (pid !== undefined) killGroup(pid);
    await Promise.all(children.map(stopChild));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  // A process that left for its own session may still hold the pipes; let go of them.
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
