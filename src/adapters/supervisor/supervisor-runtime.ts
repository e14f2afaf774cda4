import { createHash } from 'node:crypto';
import {
  type CommandExit,
  isValidRunId,
  type OutputOffsets,
  type RemoveOutcome,
  type RunState,
  type StopOutcome,
} from '../../domain/command-run.js';
import { RuntimeUnavailableError, ValidationError, WorkspaceFailedError } from '../../domain/errors.js';
import { argvIssues, encodeRunEnvironment, resolveRunCwd } from '../../domain/run-request.js';
import type { ClaudeProbe, ClaudeProbeResult } from '../../ports/claude-probe.js';
import type { ExecTransport } from '../../ports/exec-transport.js';
import type {
  FollowEvent,
  InputOutcome,
  RunInput,
  RunSpec,
  WorkspaceRuntime,
  WorkspaceTarget,
} from '../../ports/workspace-runtime.js';
import { type ExitStatus, parseStatusLine, type SupervisorStatus } from './exit-status.js';
import { followRun } from './follow-run.js';
import {
  inputArgv,
  installArgv,
  readScriptArgv,
  removeArgv,
  runDirectory,
  SUPERVISE_SCRIPT,
  SUPERVISE_SCRIPT_FILE_NAME,
  startArgv,
  statusArgv,
  stopArgv,
  superviseScriptPath,
  writeFilesArgv,
} from './supervise-script.js';

export interface SupervisorRuntimeDeps {
  transport: ExecTransport;
  /** Largest payload per follow frame. Default 64 KiB. */
  maxFrameBytes?: number;
  /** Seconds of silence after which the supervisor sends a heartbeat frame. Default 10. */
  heartbeatSeconds?: number;
  /** A follow stream that delivers nothing, not even a heartbeat, this long is dropped. Default 3 heartbeats + 5 s. */
  followIdleTimeoutMs?: number;
  /** Bound on start, status and remove (stop adds its grace period). Default 30 s. */
  operationTimeoutMs?: number;
  /**
   * Told when a workspace's supervisor script differed from this build's before a start (a
   * command edited it, perhaps to capture the environment of later commands); it has been
   * rewritten by then. Failures of the report do not stop the start.
   */
  onScriptTampered?(report: TamperedScriptReport): void | Promise<void>;
  /** Turns a command's argv into the argv the supervisor runs (a sandbox around it); none by default. */
  wrapCommand?(target: WorkspaceTarget, cwd: string, argv: readonly string[]): string[];
  /**
   * Where commands of `target` run, in words that follow "not found": the server's environment,
   * a pod's container. Said when `claude` is missing.
   */
  describeTarget?(target: WorkspaceTarget): string;
}

/** A supervisor script found changed in a workspace and rewritten. */
export interface TamperedScriptReport {
  target: WorkspaceTarget;
  path: string;
  /** SHA-256 of what was found (its first 64 KiB); the expected one is `SUPERVISE_SCRIPT_SHA256`. */
  foundSha256: string;
  foundBytes: number;
}

/** Output of a finished operation. */
interface OperationResult {
  exitCode: number;
  stdout: string;
  /** The same output as bytes (up to 64 KiB). */
  stdoutBytes: Buffer;
  stderr: string;
}

const SCRIPT_BYTES = Buffer.from(SUPERVISE_SCRIPT, 'utf8');

export const CLAUDE_INSTALL_HINT = 'npm install -g @anthropic-ai/claude-code';

/**
 * Prints the PATH (to say where it looked), the path of `claude`, then what `claude --version`
 * prints; 127, as a shell answers a missing program, when there is none.
 */
const CLAUDE_PROBE_SCRIPT =
  'printf "%s\\n" "$PATH"; p=$(command -v claude) || exit 127; printf "%s\\n" "$p"; exec "$p" --version';
const OUTPUT_LIMIT = 64 * 1024;

/**
 * The workspace runtime of binding decision 4, over any {@link ExecTransport}: every operation is
 * one short `sh supervise.sh OP ...` invocation in the workspace, so the local and the Kubernetes
 * runtimes share the protocol and its tests. The script is installed on first use: an operation
 * that finds it missing installs it and runs once more.
 */
export class SupervisorRuntime implements WorkspaceRuntime, ClaudeProbe {
  private readonly transport: ExecTransport;
  private readonly maxFrameBytes: number;
  private readonly heartbeatSeconds: number;
  private readonly followIdleTimeoutMs: number;
  private readonly operationTimeoutMs: number;
  private readonly onScriptTampered: SupervisorRuntimeDeps['onScriptTampered'];
  private readonly wrapCommand: NonNullable<SupervisorRuntimeDeps['wrapCommand']>;
  private readonly describeTarget: NonNullable<SupervisorRuntimeDeps['describeTarget']>;

  constructor(deps: SupervisorRuntimeDeps) {
    this.transport = deps.transport;
    this.maxFrameBytes = deps.maxFrameBytes ?? 64 * 1024;
    this.heartbeatSeconds = deps.heartbeatSeconds ?? 10;
    this.followIdleTimeoutMs = deps.followIdleTimeoutMs ?? (3 * this.heartbeatSeconds + 5) * 1000;
    this.operationTimeoutMs = deps.operationTimeoutMs ?? 30_000;
    this.onScriptTampered = deps.onScriptTampered;
    this.wrapCommand = deps.wrapCommand ?? ((_target, _cwd, argv) => [...argv]);
    this.describeTarget = deps.describeTarget ?? ((target) => `in project "${target.projectName}"`);
  }

  async start(target: WorkspaceTarget, spec: RunSpec): Promise<RunState> {
    const runDir = this.runDir(target, spec.commandId);
    const issues = argvIssues(spec.argv);
    if (issues.length > 0) throw new ValidationError(issues);
    const cwd = resolveRunCwd(target.workspacePath, spec.cwd);
    await this.assertCwdInside(target, cwd);
    const env =
      spec.env && Object.keys(spec.env).length > 0 ? Buffer.from(encodeRunEnvironment(spec.env)) : null;
    const stdin = !spec.openStdin && spec.stdin && spec.stdin.length > 0 ? Buffer.from(spec.stdin) : null;
    const script = superviseScriptPath(target.workspacePath);
    await this.verifyScript(target);
    if (stdin || env || spec.openStdin) {
      const files = [{ path: `${runDir}/stdin`, length: stdin?.length ?? 0 }];
      if (env) files.push({ path: `${runDir}/env`, length: env.length });
      // The marker the supervisor starts the command with a FIFO for stdin on.
      if (spec.openStdin) files.push({ path: `${runDir}/stdin-open`, length: 0 });
      const input = Buffer.concat([stdin ?? Buffer.alloc(0), env ?? Buffer.alloc(0)]);
      await this.operation(target, writeFilesArgv(script, files), input);
    }
    const argv = this.wrapCommand(target, cwd, spec.argv);
    return this.state(await this.operation(target, startArgv(script, runDir, cwd, argv)));
  }

  follow(
    target: WorkspaceTarget,
    commandId: string,
    offsets: OutputOffsets,
    signal?: AbortSignal,
  ): AsyncIterable<FollowEvent> {
    const runDir = this.runDir(target, commandId);
    for (const [name, value] of Object.entries(offsets)) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new ValidationError([{ path: name, message: 'must be a non-negative integer' }]);
      }
    }
    return followRun({
      transport: this.transport,
      target,
      scriptPath: superviseScriptPath(target.workspacePath),
      runDir,
      offsets,
      maxFrameBytes: this.maxFrameBytes,
      heartbeatSeconds: this.heartbeatSeconds,
      idleTimeoutMs: this.followIdleTimeoutMs,
      signal,
      scriptMissing: (result) => isScriptMissing(result),
      install: () => this.install(target),
    });
  }

  /**
   * `resolveRunCwd` keeps the path inside the workspace by its words; a symbolic link on the way
   * (`sub -> /`) could still lead out, or into `.rdev/`. Compares the physical folders. A folder
   * that does not exist passes: the supervisor reports it as `no-cwd`.
   */
  private async assertCwdInside(target: WorkspaceTarget, cwd: string): Promise<void> {
    const root = resolveRunCwd(target.workspacePath, null);
    if (cwd === root) return;
    const text =
      'cd -P "$1" && printf "%s\\000" "$(pwd -P)" && cd -P "$2" 2>/dev/null && printf "%s" "$(pwd -P)"';
    const argv = ['sh', '-c', text, 'rdev-cwd-check', root, cwd];
    const result = await this.execute(target, argv, undefined, this.operationTimeoutMs);
    const [real, realCwd] = result.stdout.split('\0');
    if (result.exitCode !== 0 || !real || !realCwd) return;
    const inside = realCwd === real || realCwd.startsWith(real === '/' ? '/' : `${real}/`);
    const rdev = `${real === '/' ? '' : real}/.rdev`;
    if (inside && realCwd !== rdev && !realCwd.startsWith(`${rdev}/`)) return;
    throw new ValidationError([
      {
        path: 'cwd',
        message: `must stay inside the workspace: it leads through a symbolic link to ${realCwd}`,
      },
    ]);
  }

  async isGitRepository(target: WorkspaceTarget): Promise<boolean> {
    const root = resolveRunCwd(target.workspacePath, null);
    const argv = ['sh', '-c', 'test -e "$1/.git"', 'rdev-git-check', root];
    const result = await this.execute(target, argv, undefined, this.operationTimeoutMs);
    if (result.exitCode === 0 || result.exitCode === 1) return result.exitCode === 0;
    throw new RuntimeUnavailableError(
      `Cannot look for a git repository in project "${target.projectName}": ${excerpt(result.stderr)}`,
      { project: target.projectName },
    );
  }

  /**
   * Looks for `claude` as a CLAUDE command would meet it: through the same transport and sandbox,
   * with the same environment.
   */
  async probe(target: WorkspaceTarget): Promise<ClaudeProbeResult> {
    const root = resolveRunCwd(target.workspacePath, null);
    const argv = this.wrapCommand(target, root, ['sh', '-c', CLAUDE_PROBE_SCRIPT, 'rdev-claude-check']);
    const result = await this.execute(target, argv, undefined, this.operationTimeoutMs);
    const [pathVar = '', program = '', ...version] = result.stdout.split('\n');
    const where = this.describeTarget(target);
    if (result.exitCode === 127 && program === '') {
      return {
        available: false,
        message:
          `The Claude Code CLI (claude) was not found ${where}, on the PATH ${pathVar || '(empty)'}. ` +
          `Install it there with \`${CLAUDE_INSTALL_HINT}\`, or put the folder that holds it on that PATH; ` +
          'the next runClaude looks again.',
      };
    }
    const first = version.map((line) => line.trim()).find((line) => line !== '') ?? '';
    if (result.exitCode !== 0 || first === '') {
      const why = excerpt((result.stderr || version.join(' ')).replaceAll(/\s+/g, ' '));
      return {
        available: false,
        message:
          `The Claude Code CLI at ${program} (${where}) does not run: \`claude --version\` exited with ` +
          `${result.exitCode}: ${why}. Reinstall it with \`${CLAUDE_INSTALL_HINT}\`; the next runClaude looks again.`,
      };
    }
    return { available: true, version: first.slice(0, 200), path: program };
  }

  async writeInput(target: WorkspaceTarget, commandId: string, input: RunInput): Promise<InputOutcome> {
    const runDir = this.runDir(target, commandId);
    const argv = inputArgv(
      superviseScriptPath(target.workspacePath),
      runDir,
      input.offset,
      input.data.length,
      input.eof,
    );
    const result = await this.operation(target, argv, input.data.length > 0 ? input.data : undefined);
    const [word, size] = result.stdout.trim().split(' ');
    const n = Number(size);
    if (word === 'ended' || word === 'not-open') return { state: word };
    if ((word === 'appended' || word === 'gap') && size && Number.isSafeInteger(n)) {
      return { state: word, size: n };
    }
    throw unexpected(target, 'input', result);
  }

  async status(target: WorkspaceTarget, commandId: string): Promise<RunState> {
    const runDir = this.runDir(target, commandId);
    return this.state(
      await this.operation(target, statusArgv(superviseScriptPath(target.workspacePath), runDir)),
    );
  }

  async stop(target: WorkspaceTarget, commandId: string, graceSeconds: number): Promise<StopOutcome> {
    const runDir = this.runDir(target, commandId);
    if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > 3600) {
      throw new ValidationError([{ path: 'graceSeconds', message: 'must be an integer from 0 to 3600' }]);
    }
    const argv = stopArgv(superviseScriptPath(target.workspacePath), runDir, graceSeconds);
    const result = await this.operation(target, argv, undefined, graceSeconds * 1000);
    switch (result.stdout.trim()) {
      case 'gone':
        return 'gone';
      case 'stopped TERM':
        return 'stopped-term';
      case 'stopped KILL':
        return 'stopped-kill';
      case 'not-started':
        return 'not-started';
      default:
        throw unexpected(target, 'stop', result);
    }
  }

  async remove(target: WorkspaceTarget, commandId: string): Promise<RemoveOutcome> {
    const runDir = this.runDir(target, commandId);
    const result = await this.operation(
      target,
      removeArgv(superviseScriptPath(target.workspacePath), runDir),
      undefined,
      0,
      [3],
    );
    const word = result.stdout.trim();
    if (word === 'removed' || word === 'absent' || word === 'busy') return word;
    throw unexpected(target, 'remove', result);
  }

  private runDir(target: WorkspaceTarget, commandId: string): string {
    if (!isValidRunId(commandId)) {
      throw new ValidationError([
        {
          path: 'commandId',
          message: 'use letters, digits, "-" and "_" (at most 128), starting with a letter or digit',
        },
      ]);
    }
    resolveRunCwd(target.workspacePath, null);
    return runDirectory(target.workspacePath, commandId);
  }

  private state(result: OperationResult): RunState {
    let status: SupervisorStatus;
    try {
      status = parseStatusLine(result.stdout);
    } catch {
      throw new RuntimeUnavailableError(
        `The run supervisor answered unexpectedly: ${excerpt(result.stdout)}`,
      );
    }
    if (status.state === 'exited') return { state: 'exited', exit: commandExit(status.exit) };
    return status;
  }

  /**
   * Compares the workspace's script with this build's copy and rewrites it (atomically) when it
   * differs: the script runs with every command's environment, and commands in the workspace can
   * write to it. A missing script is simply installed; a changed one is reported as tampering.
   */
  private async verifyScript(target: WorkspaceTarget): Promise<void> {
    const path = superviseScriptPath(target.workspacePath);
    const found = await this.execute(
      target,
      readScriptArgv(path, OUTPUT_LIMIT),
      undefined,
      this.operationTimeoutMs,
    );
    if (found.exitCode === 0 && found.stdoutBytes.equals(SCRIPT_BYTES)) return;
    await this.install(target);
    if (found.exitCode === 3) return;
    try {
      await this.onScriptTampered?.({
        target,
        path,
        foundSha256: createHash('sha256').update(found.stdoutBytes).digest('hex'),
        foundBytes: found.stdoutBytes.length,
      });
    } catch {
      // The script is sound again; a failed report must not stop the command.
    }
  }

  /** Installs the supervisor script in the workspace from this build's copy. */
  private async install(target: WorkspaceTarget): Promise<void> {
    const argv = installArgv(superviseScriptPath(target.workspacePath), SCRIPT_BYTES.length);
    const result = await this.execute(target, argv, SCRIPT_BYTES, this.operationTimeoutMs);
    if (result.exitCode !== 0) {
      throw new WorkspaceFailedError(
        `Cannot install the run supervisor in project "${target.projectName}": ${excerpt(result.stderr)}`,
        { project: target.projectName },
      );
    }
  }

  /** Runs one supervisor operation, installing the script first when the workspace lacks it. */
  private async operation(
    target: WorkspaceTarget,
    argv: string[],
    stdin?: Uint8Array,
    extraTimeoutMs = 0,
    acceptedCodes: readonly number[] = [],
  ): Promise<OperationResult> {
    const timeoutMs = this.operationTimeoutMs + extraTimeoutMs;
    let result = await this.execute(target, argv, stdin, timeoutMs);
    if (isScriptMissing(result)) {
      await this.install(target);
      result = await this.execute(target, argv, stdin, timeoutMs);
    }
    if (result.exitCode !== 0 && !acceptedCodes.includes(result.exitCode)) {
      throw new WorkspaceFailedError(
        `The run supervisor failed in project "${target.projectName}" (${argv[2]}): ${excerpt(result.stderr)}`,
        { project: target.projectName, operation: argv[2], exitCode: result.exitCode },
      );
    }
    return result;
  }

  private async execute(
    target: WorkspaceTarget,
    argv: string[],
    stdin: Uint8Array | undefined,
    timeoutMs: number,
  ): Promise<OperationResult> {
    const proc = await this.transport.exec(target, argv, stdin ? { stdin } : {});
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.close();
    }, timeoutMs);
    try {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of proc.stdout) {
        if (size < OUTPUT_LIMIT) parts.push(Buffer.from(chunk));
        size += chunk.length;
      }
      const outcome = await proc.done;
      if (outcome.kind !== 'exited') {
        const what = timedOut
          ? `no answer within ${timeoutMs} ms`
          : outcome.kind === 'dropped'
            ? 'the connection ended early'
            : 'it could not run';
        throw new RuntimeUnavailableError(
          `A run supervisor call in project "${target.projectName}" did not complete (${what}): ${outcome.message}`,
          { project: target.projectName, operation: argv[2] },
        );
      }
      const bytes = Buffer.concat(parts);
      return {
        exitCode: outcome.exitCode,
        stdout: bytes.toString('utf8'),
        stdoutBytes: bytes,
        stderr: outcome.stderr,
      };
    } finally {
      clearTimeout(timer);
      proc.close();
    }
  }
}

/** dash and busybox exit 2, bash 127, when `sh FILE` cannot open FILE; the script's own errors start with `supervise:`. */
function isScriptMissing(result: { exitCode: number; stderr: string }): boolean {
  return (
    (result.exitCode === 2 || result.exitCode === 127) &&
    !result.stderr.startsWith('supervise:') &&
    result.stderr.includes(SUPERVISE_SCRIPT_FILE_NAME)
  );
}

export function commandExit(status: ExitStatus): CommandExit {
  return { exitCode: status.exitCode, signal: status.signal, reason: status.reason };
}

function unexpected(target: WorkspaceTarget, op: string, result: OperationResult): RuntimeUnavailableError {
  return new RuntimeUnavailableError(
    `The run supervisor answered ${op} in project "${target.projectName}" unexpectedly: ${excerpt(result.stdout)}`,
  );
}

function excerpt(text: string): string {
  const line = text.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line || '(no output)';
}
