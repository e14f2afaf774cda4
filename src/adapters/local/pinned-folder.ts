import { type BigIntStats, constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, realpath } from 'node:fs/promises';
import { RuntimeUnavailableError } from '../../domain/errors.js';
import { type UnsafeFileReason, unsafeFile } from '../../domain/workspace-file-errors.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';
import { codeOf } from './fs-errors.js';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * A folder of a workspace held open, so later calls name entries relative to the open folder and
 * not by a path that could be changed under them: `/proc/self/fd/<fd>/<name>` resolves through the
 * descriptor itself, like `openat(2)` does. Swapping a folder on the way for a link after it was
 * opened therefore changes nothing for rdev. Linux only, as the local runtime is.
 */
export class PinnedFolder {
  private constructor(
    private readonly handle: FileHandle,
    /** Relative to the workspace, `''` for the workspace itself. */
    readonly path: string,
  ) {}

  /**
   * Opens the folder `path` of the workspace one component at a time, refusing a link or a
   * non-folder at each step (`create`: making missing ones). `null` when one is missing.
   */
  static async open(target: WorkspaceTarget, path: string, create = false): Promise<PinnedFolder | null> {
    let root: string;
    try {
      // The workspace folder itself may be reached through a link (a configured path).
      root = await realpath(target.workspacePath);
    } catch {
      throw new RuntimeUnavailableError(
        `The workspace folder of project "${target.projectName}" does not exist: ${target.workspacePath}`,
        { project: target.projectName },
      );
    }
    let folder = new PinnedFolder(await open(root, constants.O_RDONLY | constants.O_DIRECTORY), '');
    for (const name of path === '' ? [] : path.split('/')) {
      let next: PinnedFolder | null;
      try {
        next = await folder.openChild(name, create, target.projectName);
      } finally {
        // The child is opened through the parent's descriptor, so the parent closes only after.
        await folder.close();
      }
      if (!next) return null;
      folder = next;
    }
    return folder;
  }

  /** Where `name` in this folder is, for node:fs calls. */
  at(name: string): string {
    return `/proc/self/fd/${this.handle.fd}/${name}`;
  }

  /** The folder itself, for node:fs calls. */
  self(): string {
    return `/proc/self/fd/${this.handle.fd}`;
  }

  /** Relative path of `name` in this folder. */
  child(name: string): string {
    return this.path ? `${this.path}/${name}` : name;
  }

  /** `lstat` of `name` with nanosecond times, `null` when nothing is there. */
  async lstat(name: string): Promise<BigIntStats | null> {
    try {
      return await lstat(this.at(name), { bigint: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return null;
      throw error;
    }
  }

  stat(): Promise<BigIntStats> {
    return this.handle.stat({ bigint: true });
  }

  /** The sub-folder `name`, held open; `null` when missing. Throws FORBIDDEN on a link. */
  async openChild(name: string, create: boolean, projectName: string): Promise<PinnedFolder | null> {
    const path = this.child(name);
    const refuse = (reason: UnsafeFileReason) => unsafeFile(projectName, path, reason);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return new PinnedFolder(await open(this.at(name), DIR_FLAGS), path);
      } catch (error) {
        const code = codeOf(error);
        if (code === 'ELOOP') throw refuse('symlink');
        if (code === 'ENOTDIR') {
          const stats = await this.lstat(name);
          throw refuse(stats?.isSymbolicLink() ? 'symlink' : 'not-a-folder');
        }
        if (code !== 'ENOENT') throw error;
        if (!create || attempt > 0) return null;
        await mkdir(this.at(name), { mode: 0o755 }).catch((e) => {
          if (codeOf(e) !== 'EEXIST') throw e;
        });
      }
    }
    return null;
  }

  close(): Promise<void> {
    return this.handle.close().catch(() => {});
  }
}

/** Runs `fn` with the folder `path` open, closing it after. `null` when a component is missing. */
export async function withFolder<T>(
  target: WorkspaceTarget,
  path: string,
  create: boolean,
  fn: (folder: PinnedFolder) => Promise<T>,
): Promise<T | null> {
  const folder = await PinnedFolder.open(target, path, create);
  if (!folder) return null;
  try {
    return await fn(folder);
  } finally {
    await folder.close();
  }
}
