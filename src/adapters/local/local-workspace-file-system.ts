import { randomBytes } from 'node:crypto';
import { type BigIntStats, constants } from 'node:fs';
import { chmod, link, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { DomainError, RuntimeUnavailableError, ValidationError } from '../../domain/errors.js';
import {
  type WorkspaceFileKind,
  workspaceFileEtag,
  workspaceFileName,
  workspaceParent,
} from '../../domain/workspace-file.js';
import {
  fileExists,
  fileNotFound,
  fileTooLarge,
  folderNotEmpty,
  notAFile,
  staleFile,
  unsafeFile,
} from '../../domain/workspace-file-errors.js';
import type {
  ByteRange,
  FileStat,
  WorkspaceFileSystem,
  WriteConditions,
} from '../../ports/workspace-file-system.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';
import { codeOf } from './fs-errors.js';
import { PinnedFolder, withFolder } from './pinned-folder.js';

// O_NONBLOCK: a FIFO swapped in after the check must not make the open wait for a writer.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Marks rdev's temporary and moved-aside entries, which listings leave out. */
export const TEMP_MARKER = '.rdev-';

/**
 * Workspace files in local folders. Every path is walked one folder at a time through open
 * descriptors ({@link PinnedFolder}); final entries are checked with `lstat` and opened with
 * `O_NOFOLLOW`, then compared with what was checked.
 */
export class LocalWorkspaceFileSystem implements WorkspaceFileSystem {
  stat(target: WorkspaceTarget, path: string): Promise<FileStat | null> {
    return guarded(target, async () => {
      if (path === '') return withFolder(target, '', false, async (f) => toStat('', await f.stat()));
      const found = await withFolder(target, workspaceParent(path), false, async (folder) => {
        const stats = await folder.lstat(workspaceFileName(path));
        return stats ? toStat(path, stats) : null;
      });
      return found ?? null;
    });
  }

  list(
    target: WorkspaceTarget,
    path: string,
    options: { recursive: boolean; maxEntries: number; skip(path: string): boolean },
  ): Promise<{ entries: FileStat[]; truncated: boolean }> {
    return guarded(target, async () => {
      const root = await PinnedFolder.open(target, path);
      if (!root) throw fileNotFound(target.projectName, path);
      const entries: FileStat[] = [];
      const queue = [root];
      let truncated = false;
      try {
        while (queue.length > 0 && !truncated) {
          const folder = queue.shift()!;
          try {
            for (const name of (await readdir(folder.self())).sort()) {
              const child = folder.child(name);
              if (name.includes(TEMP_MARKER) || options.skip(child)) continue;
              if (entries.length >= options.maxEntries) {
                truncated = true;
                break;
              }
              const stats = await folder.lstat(name);
              if (!stats) continue;
              entries.push(toStat(child, stats));
              if (options.recursive && stats.isDirectory()) {
                // A folder swapped for a link since the lstat is refused here and skipped.
                const sub = await folder.openChild(name, false, target.projectName).catch(() => null);
                if (sub) queue.push(sub);
              }
            }
          } finally {
            await folder.close();
          }
        }
      } finally {
        await Promise.all(queue.map((f) => f.close()));
      }
      entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return { entries, truncated };
    });
  }

  read(
    target: WorkspaceTarget,
    path: string,
    range?: ByteRange | null,
  ): Promise<{ file: FileStat; body: AsyncIterable<Uint8Array> }> {
    return guarded(target, async () => {
      const folder = await PinnedFolder.open(target, workspaceParent(path));
      if (!folder) throw fileNotFound(target.projectName, path);
      try {
        const name = workspaceFileName(path);
        const checked = await folder.lstat(name);
        if (!checked) throw fileNotFound(target.projectName, path);
        refuseUnreadable(target, path, checked);
        let handle: Awaited<ReturnType<typeof open>>;
        try {
          handle = await open(folder.at(name), READ_FLAGS);
        } catch (error) {
          if (codeOf(error) === 'ENOENT') throw fileNotFound(target.projectName, path);
          if (codeOf(error) === 'ELOOP') throw unsafeFile(target.projectName, path, 'symlink');
          throw error;
        }
        const opened = await handle.stat({ bigint: true });
        if (opened.ino !== checked.ino || opened.dev !== checked.dev) {
          await handle.close();
          // Replaced between the check and the open: refused rather than trusted.
          throw unsafeFile(target.projectName, path, 'special-file');
        }
        const body = handle.createReadStream(
          range
            ? { start: range.start, end: range.end, highWaterMark: 64 * 1024 }
            : { highWaterMark: 64 * 1024 },
        );
        return { file: toStat(path, opened), body };
      } finally {
        await folder.close();
      }
    });
  }

  write(
    target: WorkspaceTarget,
    path: string,
    body: AsyncIterable<Uint8Array>,
    conditions: WriteConditions,
  ): Promise<FileStat> {
    return guarded(target, async () => {
      const folder = await PinnedFolder.open(target, workspaceParent(path), conditions.createParents);
      if (!folder) throw fileNotFound(target.projectName, workspaceParent(path));
      try {
        return await writeInto(target, folder, path, body, conditions);
      } finally {
        await folder.close();
      }
    });
  }

  remove(
    target: WorkspaceTarget,
    path: string,
    options: { ifMatch: string | null; recursive: boolean },
  ): Promise<void> {
    return guarded(target, async () => {
      const done = await withFolder(target, workspaceParent(path), false, async (folder) => {
        const name = workspaceFileName(path);
        const stats = await folder.lstat(name);
        if (!stats) throw fileNotFound(target.projectName, path);
        if (options.ifMatch !== null && etagOf(stats) !== options.ifMatch) throw staleFile(path);
        if (!stats.isDirectory()) {
          // A link is removed itself, never what it points to.
          await unlink(folder.at(name));
          return true;
        }
        if (!options.recursive) {
          await rmdir(folder.at(name)).catch((error) => {
            if (codeOf(error) === 'ENOTEMPTY' || codeOf(error) === 'EEXIST') {
              throw folderNotEmpty(target.projectName, path);
            }
            throw error;
          });
          return true;
        }
        // Moved aside first, so the folder disappears at once; rm never follows links.
        const aside = `.${name}${TEMP_MARKER}deleted-${randomBytes(6).toString('hex')}`;
        await rename(folder.at(name), folder.at(aside));
        await rm(folder.at(aside), { recursive: true, force: true });
        return true;
      });
      if (!done) throw fileNotFound(target.projectName, path);
    });
  }

  move(
    target: WorkspaceTarget,
    from: string,
    to: string,
    options: { ifMatch: string | null; overwrite: boolean },
  ): Promise<FileStat> {
    return guarded(target, async () => {
      const source = await PinnedFolder.open(target, workspaceParent(from));
      if (!source) throw fileNotFound(target.projectName, from);
      try {
        const dest = await PinnedFolder.open(target, workspaceParent(to));
        if (!dest) throw fileNotFound(target.projectName, workspaceParent(to));
        try {
          const fromName = workspaceFileName(from);
          const toName = workspaceFileName(to);
          const stats = await source.lstat(fromName);
          if (!stats) throw fileNotFound(target.projectName, from);
          if (options.ifMatch !== null && etagOf(stats) !== options.ifMatch) throw staleFile(from);
          const existing = await dest.lstat(toName);
          if (existing && !options.overwrite)
            throw fileExists(target.projectName, to, ' Pass overwrite: true to replace it.');
          if (existing?.isDirectory() && !stats.isDirectory()) throw notAFile(target.projectName, to);
          if (stats.isDirectory() && `${to}/`.startsWith(`${from}/`)) {
            throw new ValidationError([{ path: 'to', message: 'must not be inside the folder being moved' }]);
          }
          try {
            await rename(source.at(fromName), dest.at(toName));
          } catch (error) {
            if (codeOf(error) === 'ENOTEMPTY' || codeOf(error) === 'EEXIST' || codeOf(error) === 'EISDIR') {
              throw fileExists(target.projectName, to);
            }
            throw error;
          }
          const moved = await dest.lstat(toName);
          if (!moved) throw fileNotFound(target.projectName, to);
          return toStat(to, moved);
        } finally {
          await dest.close();
        }
      } finally {
        await source.close();
      }
    });
  }

  createDirectory(target: WorkspaceTarget, path: string): Promise<FileStat> {
    return guarded(target, async () => {
      const parent = await PinnedFolder.open(target, workspaceParent(path), true);
      if (!parent) throw fileNotFound(target.projectName, workspaceParent(path));
      try {
        const name = workspaceFileName(path);
        if (await parent.lstat(name)) throw fileExists(target.projectName, path);
        const created = await parent.openChild(name, true, target.projectName);
        if (!created) throw fileNotFound(target.projectName, path);
        await created.close();
        const stats = await parent.lstat(name);
        return toStat(path, stats!);
      } finally {
        await parent.close();
      }
    });
  }
}

async function writeInto(
  target: WorkspaceTarget,
  folder: PinnedFolder,
  path: string,
  body: AsyncIterable<Uint8Array>,
  conditions: WriteConditions,
): Promise<FileStat> {
  const name = workspaceFileName(path);
  const check = async () => {
    const current = await folder.lstat(name);
    if (current) {
      if (current.isDirectory()) throw notAFile(target.projectName, path);
      if (current.isSymbolicLink()) throw unsafeFile(target.projectName, path, 'symlink');
      if (!current.isFile()) throw unsafeFile(target.projectName, path, 'special-file');
      if (current.nlink > 1n) throw unsafeFile(target.projectName, path, 'hard-linked');
      if (conditions.createOnly) throw fileExists(target.projectName, path);
    }
    if (conditions.ifMatch !== null && (!current || etagOf(current) !== conditions.ifMatch)) {
      throw current ? staleFile(path) : fileNotFound(target.projectName, path);
    }
    return current;
  };
  const before = await check();
  const mode =
    conditions.executable === null
      ? before
        ? Number(before.mode & 0o777n)
        : 0o644
      : conditions.executable
        ? 0o755
        : 0o644;
  const temp = `.${name.slice(0, 100)}${TEMP_MARKER}${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(folder.at(temp), TEMP_FLAGS, 0o600);
    try {
      let size = 0;
      for await (const chunk of body) {
        size += chunk.length;
        if (size > conditions.maxBytes)
          throw fileTooLarge(path, conditions.maxBytes, 'RDEV_MAX_UPLOAD_BYTES');
        await handle.write(chunk);
      }
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Checked again as late as possible: just before the rename.
    await check();
    if (conditions.createOnly) {
      // link() never replaces: a create racing another one finds it there.
      await link(folder.at(temp), folder.at(name)).catch((error) => {
        if (codeOf(error) === 'EEXIST') throw fileExists(target.projectName, path);
        throw error;
      });
    } else {
      await rename(folder.at(temp), folder.at(name)).catch((error) => {
        if (codeOf(error) === 'EISDIR') throw notAFile(target.projectName, path);
        throw error;
      });
    }
  } finally {
    await unlink(folder.at(temp)).catch(() => {});
  }
  await chmod(folder.at(name), mode).catch(() => {});
  const written = await folder.lstat(name);
  if (!written) throw fileNotFound(target.projectName, path);
  return toStat(path, written);
}

function refuseUnreadable(target: WorkspaceTarget, path: string, stats: BigIntStats): void {
  if (stats.isSymbolicLink()) throw unsafeFile(target.projectName, path, 'symlink');
  if (stats.isDirectory()) throw notAFile(target.projectName, path);
  if (!stats.isFile()) throw unsafeFile(target.projectName, path, 'special-file');
  if (stats.nlink > 1n) throw unsafeFile(target.projectName, path, 'hard-linked');
}

function kindOf(stats: BigIntStats): WorkspaceFileKind {
  if (stats.isSymbolicLink()) return 'SYMLINK';
  if (stats.isDirectory()) return 'DIRECTORY';
  return stats.isFile() ? 'FILE' : 'OTHER';
}

function etagOf(stats: BigIntStats): string | null {
  return stats.isFile() ? workspaceFileEtag(stats) : null;
}

function toStat(path: string, stats: BigIntStats): FileStat {
  return {
    path,
    kind: kindOf(stats),
    size: Number(stats.size),
    modifiedAt: new Date(Number(stats.mtimeNs / 1_000_000n)),
    mode: Number(stats.mode & 0o7777n),
    links: Number(stats.nlink),
    etag: etagOf(stats),
  };
}

/**
 * File system failures (permissions, a full disk) become RUNTIME_UNAVAILABLE with the system's
 * reason instead of an unexpected error.
 */
async function guarded<T>(target: WorkspaceTarget, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError || !codeOf(error)) throw error;
    if (codeOf(error) === 'ENAMETOOLONG') {
      throw new ValidationError([{ path: 'path', message: 'is too long for the file system' }]);
    }
    throw new RuntimeUnavailableError(
      `Could not use the workspace files of project "${target.projectName}": ${(error as Error).message.replace(/\/proc\/self\/fd\/\d+\//g, '')}`,
      { project: target.projectName, errno: codeOf(error) },
    );
  }
}
