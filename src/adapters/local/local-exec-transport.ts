import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { RuntimeUnavailableError } from '../../domain/errors.js';
import {
  type ExecOptions,
  type ExecOutcome,
  type ExecProcess,
  type ExecTransport,
  StderrTail,
} from '../../ports/exec-transport.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';

export interface LocalExecTransportDeps {
  /**
   * The environment programs (and so the commands they start) get. Default:
   * {@link defaultLocalEnvironment}, this process's environment without rdev's own settings.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * This process's environment minus what belongs to rdev itself (`RDEV_*`, `DATABASE_URL`): a
 * command in a local workspace has no business reading the API's database password.
 */
export function defaultLocalEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name.startsWith('RDEV_') || name === 'DATABASE_URL') continue;
    env[name] = value;
  }
  return env;
}

/**
 * Runs programs as child processes of this one, in the workspace folder, without a shell. Each
 * program gets its own process group, so `close()` ends it together with the helpers it started
 * (a follow's `sleep` and `head`); the supervisor's waiters leave that group with `setsid` and
 * are not affected.
 */
export class LocalExecTransport implements ExecTransport {
  private readonly env: Record<string, string>;

  constructor(deps: LocalExecTransportDeps = {}) {
    this.env = deps.env ? defaultsOnly(deps.env) : defaultLocalEnvironment();
  }

  async exec(
    target: WorkspaceTarget,
    argv: readonly string[],
    options: ExecOptions = {},
  ): Promise<ExecProcess> {
    const [program, ...args] = argv;
    if (!program) throw new RangeError('argv must name a program');
    await assertFolder(target);
    const child = spawn(program, args, {
      cwd: target.workspacePath,
      // Workspaces usually sit inside another checkout (rdev's own `./workspaces`): without a
      // ceiling, git in a project that is not a repository walks up and works on that one.
      env: { ...this.env, GIT_CEILING_DIRECTORIES: dirname(target.workspacePath) },
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(
          new RuntimeUnavailableError(
            `Cannot run ${program} for project "${target.projectName}": ${error.message}`,
            {
              project: target.projectName,
            },
          ),
        ),
      );
    });

    const stderr = new StderrTail();
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (options.stdin) {
      child.stdin!.on('error', () => {
        // The program may exit without reading everything; its exit status tells what happened.
      });
      child.stdin!.end(options.stdin);
    }
    let closedByUs = false;
    const done = new Promise<ExecOutcome>((resolve) => {
      child.once('close', (code, signal) => {
        if (closedByUs && signal === 'SIGKILL') {
          resolve({ kind: 'dropped', message: 'closed by the caller', stderr: stderr.text() });
          return;
        }
        const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
        resolve({ kind: 'exited', exitCode, stderr: stderr.text() });
      });
    });
    return {
      stdout: child.stdout!,
      done,
      close() {
        if (closedByUs || child.exitCode !== null || child.signalCode !== null) return;
        closedByUs = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      },
    };
  }
}

function defaultsOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

async function assertFolder(target: WorkspaceTarget): Promise<void> {
  const missing = () =>
    new RuntimeUnavailableError(
      `The workspace folder of project "${target.projectName}" does not exist: ${target.workspacePath}`,
      { project: target.projectName },
    );
  try {
    if (!(await stat(target.workspacePath)).isDirectory()) throw missing();
  } catch (error) {
    if (error instanceof RuntimeUnavailableError) throw error;
    throw missing();
  }
}
