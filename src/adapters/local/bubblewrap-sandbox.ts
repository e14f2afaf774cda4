import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';

/** System folders a sandboxed command sees read-only (those that exist on the machine). */
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt'];

/**
 * Wraps each command of the local runtime in bubblewrap: the project's folder read-write, system
 * folders read-only, a private /tmp, and a fresh /proc in a new PID namespace; the network too,
 * unless the project's `sandbox_network: false` takes it away. Other projects,
 * rdev's data folder and rdev's own process (`/proc/<pid>/environ`) are not in its view.
 *
 * Only the command is wrapped, not the supervisor: the supervisor's waiter must outlive the call
 * that started it, and a PID namespace ends with its first process. The command stays in the
 * process group the supervisor signals (no `--new-session`), so stop and kill reach it.
 */
export class BubblewrapSandbox {
  constructor(private readonly bwrap: string) {}

  /**
   * Finds bwrap on `PATH` and checks that it can make a sandbox here (user namespaces may be
   * disabled, or a container may lack the privileges); throws an error that says what to do.
   */
  static detect(path = process.env.PATH ?? ''): BubblewrapSandbox {
    const bwrap = path
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'bwrap'))
      .find((file) => existsSync(file));
    if (!bwrap) {
      throw new Error(
        'RDEV_LOCAL_SANDBOX is bwrap, but bubblewrap (bwrap) is not installed or not on PATH. Install it (apt-get install bubblewrap, apk add bubblewrap) or set RDEV_LOCAL_SANDBOX=none to run commands without isolation.',
      );
    }
    const probe = spawnSync(
      bwrap,
      ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--dev', '/dev', '--', 'true'],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (probe.status !== 0) {
      const why = (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim();
      throw new Error(
        `RDEV_LOCAL_SANDBOX is bwrap, but ${bwrap} cannot create a sandbox on this machine: ${why}. Unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, or an AppArmor profile), or the container lacks the privileges to create namespaces; allow them, or set RDEV_LOCAL_SANDBOX=none.`,
      );
    }
    return new BubblewrapSandbox(bwrap);
  }

  /** argv running `argv` in `cwd` inside the sandbox of `target`'s workspace. */
  wrap(target: WorkspaceTarget, cwd: string, argv: readonly string[]): string[] {
    const system = SYSTEM_FOLDERS.filter((dir) => existsSync(dir)).flatMap((dir) => ['--ro-bind', dir, dir]);
    return [
      this.bwrap,
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      ...(target.network === false ? ['--unshare-net'] : []),
      ...system,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--bind',
      target.workspacePath,
      target.workspacePath,
      '--chdir',
      cwd,
      '--',
      ...argv,
    ];
  }
}
