import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLAUDE_DIR,
  type ClaudeConfigLayout,
  CONFIG_FILE_SUFFIX,
  claudeConfigEtag,
  claudeConfigNameProblem,
  ETAG_COMPARE_BYTES,
  isClaudeConfigName,
  SKILL_FILE_NAME,
  SKILL_TREE_MAX_DEPTH,
  unsafeClaudePathError,
} from '../../domain/claude-config.js';
import { DomainError, RuntimeUnavailableError, ValidationError } from '../../domain/errors.js';
import type {
  ReadLimits,
  RemoveOutcome,
  StoredConfigItem,
  StoredTreeEntry,
  WorkspaceFiles,
  WriteExpectation,
  WriteOutcome,
} from '../../ports/workspace-files.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';

// O_NONBLOCK: opening a FIFO planted under an item's name must not wait for a writer.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Claude Code items in local workspace folders (node:fs). Every component below the workspace is
 * checked with `lstat` and files are opened with `O_NOFOLLOW`, so a link planted in `.claude/`
 * is refused rather than followed.
 */
export class LocalWorkspaceFiles implements WorkspaceFiles {
  list(target: WorkspaceTarget, layout: ClaudeConfigLayout, limits: ReadLimits): Promise<StoredConfigItem[]> {
    return guarded(target, layout, () => this.listItems(target, layout, limits));
  }

  read(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    limits: ReadLimits,
  ): Promise<StoredConfigItem | null> {
    return guarded(target, layout, () => this.readOne(target, layout, name, limits));
  }

  write(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    content: Uint8Array,
    expect: WriteExpectation,
  ): Promise<WriteOutcome> {
    return guarded(target, layout, () => this.writeOne(target, layout, name, content, expect));
  }

  remove(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    etag: string | null,
  ): Promise<RemoveOutcome> {
    return guarded(target, layout, () => this.removeOne(target, layout, name, etag));
  }

  private async listItems(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    limits: ReadLimits,
  ): Promise<StoredConfigItem[]> {
    const folder = await this.kindFolder(target, layout, false);
    if (!folder) return [];
    const names = new Set<string>();
    for (const entry of await readdir(folder)) {
      const name =
        layout.form === 'file'
          ? entry.endsWith(CONFIG_FILE_SUFFIX)
            ? entry.slice(0, -CONFIG_FILE_SUFFIX.length)
            : ''
          : entry;
      if (isClaudeConfigName(layout.kind, name)) names.add(name);
    }
    const items: StoredConfigItem[] = [];
    let budget = limits.maxTotalBytes;
    for (const name of [...names].sort()) {
      const item = await readItem(folder, layout, name, limits, budget);
      if (!item) continue;
      items.push(item);
      budget -= item.content?.length ?? 0;
    }
    return items;
  }

  private async readOne(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    limits: ReadLimits,
  ): Promise<StoredConfigItem | null> {
    checkName(layout, name);
    const folder = await this.kindFolder(target, layout, false);
    return folder ? readItem(folder, layout, name, limits, limits.maxTotalBytes) : null;
  }

  private async writeOne(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    content: Uint8Array,
    expect: WriteExpectation,
  ): Promise<WriteOutcome> {
    checkName(layout, name);
    const create = expect.mode === 'create';
    const folder = await this.kindFolder(target, layout, create);
    if (!folder) return { status: 'missing' };
    let parent = folder;
    let file = join(folder, `${name}${CONFIG_FILE_SUFFIX}`);
    if (layout.form === 'folder') {
      parent = join(folder, name);
      let stats = await lstatOrNull(parent);
      if (!stats && create) {
        await mkdir(parent).catch(ignoreCode('EEXIST'));
        stats = await lstatOrNull(parent);
      }
      if (!stats) return { status: 'missing' };
      if (stats.isSymbolicLink()) return { status: 'not-a-file', type: 'symlink' };
      if (!stats.isDirectory()) return { status: 'not-a-file', type: 'other' };
      file = join(parent, SKILL_FILE_NAME);
    }
    const current = await lstatOrNull(file);
    if (current?.isSymbolicLink()) return { status: 'not-a-file', type: 'symlink' };
    if (current && !current.isFile()) return { status: 'not-a-file', type: 'other' };
    if (current && create) return { status: 'exists' };
    if (!current && !create) return { status: 'missing' };

    const temp = join(parent, `.${name}.rdev-${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (create) {
        // link() never replaces: a create racing another one finds it there.
        try {
          await link(temp, file);
        } catch (error) {
          if (codeOf(error) === 'EEXIST') return { status: 'exists' };
          throw error;
        }
      } else {
        // Compared as late as possible: just before the rename.
        if (expect.etag !== null && (await etagOf(file)) !== expect.etag) return { status: 'stale' };
        try {
          await rename(temp, file);
        } catch (error) {
          if (codeOf(error) === 'EISDIR') return { status: 'not-a-file', type: 'other' };
          throw error;
        }
      }
    } finally {
      await unlink(temp).catch(() => {});
    }
    const stats = await lstat(file);
    return { status: 'written', size: stats.size, modifiedAt: stats.mtime };
  }

  private async removeOne(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    etag: string | null,
  ): Promise<RemoveOutcome> {
    checkName(layout, name);
    const folder = await this.kindFolder(target, layout, false);
    if (!folder) return { status: 'missing' };
    const itemPath = join(folder, layout.form === 'file' ? `${name}${CONFIG_FILE_SUFFIX}` : name);
    const file = layout.form === 'file' ? itemPath : join(itemPath, SKILL_FILE_NAME);
    if (layout.form === 'folder') {
      const stats = await lstatOrNull(itemPath);
      if (!stats) return { status: 'missing' };
      if (stats.isSymbolicLink()) return { status: 'not-a-file', type: 'symlink' };
      if (!stats.isDirectory()) return { status: 'missing' };
    }
    const stats = await lstatOrNull(file);
    if (!stats) return { status: 'missing' };
    if (stats.isSymbolicLink()) return { status: 'not-a-file', type: 'symlink' };
    if (!stats.isFile()) return { status: 'not-a-file', type: 'other' };
    if (etag !== null && (await etagOf(file)) !== etag) return { status: 'stale' };
    if (layout.form === 'file') {
      await unlink(file).catch(ignoreCode('ENOENT'));
      return { status: 'removed' };
    }
    // Moved aside first, so the skill disappears at once even if removing its files takes a while.
    const aside = join(folder, `.${name}.rdev-deleted-${randomBytes(6).toString('hex')}`);
    await rename(itemPath, aside);
    await rm(aside, { recursive: true, force: true });
    return { status: 'removed' };
  }

  /**
   * The kind's folder (`<workspace>/.claude/<folder>`), after checking that `.claude` and it are
   * real folders. `null` when one is missing and `create` is false.
   */
  private async kindFolder(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    create: boolean,
  ): Promise<string | null> {
    let path = await workspaceRoot(target);
    const steps = [
      { segment: CLAUDE_DIR, relative: CLAUDE_DIR },
      { segment: layout.folder, relative: `${CLAUDE_DIR}/${layout.folder}` },
    ];
    for (const { segment, relative } of steps) {
      path = join(path, segment);
      let stats = await lstatOrNull(path);
      if (!stats && create) {
        await mkdir(path).catch(ignoreCode('EEXIST'));
        stats = await lstatOrNull(path);
      }
      if (!stats) return null;
      if (stats.isSymbolicLink()) throw unsafeClaudePathError(target.projectName, relative, 'symlink');
      if (!stats.isDirectory()) throw unsafeClaudePathError(target.projectName, relative, 'not-a-folder');
    }
    return path;
  }
}

async function readItem(
  folder: string,
  layout: ClaudeConfigLayout,
  name: string,
  limits: ReadLimits,
  budget: number,
): Promise<StoredConfigItem | null> {
  if (layout.form === 'file') {
    const file = join(folder, `${name}${CONFIG_FILE_SUFFIX}`);
    const stats = await lstatOrNull(file);
    return stats ? describe(file, name, stats, limits, budget, null) : null;
  }
  const dir = join(folder, name);
  const dirStats = await lstatOrNull(dir);
  if (!dirStats) return null;
  if (dirStats.isSymbolicLink()) return unreadable(name, 'symlink', dirStats);
  if (!dirStats.isDirectory()) return null;
  const file = join(dir, SKILL_FILE_NAME);
  const stats = await lstatOrNull(file);
  if (!stats) return null;
  return describe(file, name, stats, limits, budget, await listTree(dir, limits.maxTreeEntries));
}

async function describe(
  file: string,
  name: string,
  stats: Stats,
  limits: ReadLimits,
  budget: number,
  tree: { files: StoredTreeEntry[]; truncated: boolean } | null,
): Promise<StoredConfigItem> {
  const base = {
    name,
    size: stats.size,
    modifiedAt: stats.mtime,
    files: tree?.files ?? null,
    filesTruncated: tree?.truncated ?? false,
  };
  if (stats.isSymbolicLink()) return { ...base, type: 'symlink', content: null, unread: 'not-a-file' };
  if (!stats.isFile()) return { ...base, type: 'other', content: null, unread: 'not-a-file' };
  const skip = (unread: StoredConfigItem['unread']) => ({
    ...base,
    type: 'file' as const,
    content: null,
    unread,
  });
  if (stats.nlink > 1) return skip('hard-linked');
  if (stats.size > limits.maxFileBytes) return skip('too-large');
  if (stats.size > budget) return skip('budget');
  const read = await readBounded(file, limits.maxFileBytes + 1, stats);
  if (read === null) return skip('not-a-file');
  if (read.length > limits.maxFileBytes) return skip('too-large');
  return { ...base, type: 'file', size: read.length, content: read, unread: null };
}

function unreadable(name: string, type: 'symlink' | 'other', stats: Stats): StoredConfigItem {
  return {
    name,
    type,
    size: stats.size,
    modifiedAt: stats.mtime,
    content: null,
    unread: 'not-a-file',
    files: null,
    filesTruncated: false,
  };
}

/**
 * Up to `limit` bytes of a regular file, opened without following a link; `null` when what is
 * there now is not the file `expected` described (replaced by a link or a FIFO in between).
 */
async function readBounded(path: string, limit: number, expected?: Stats): Promise<Buffer | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if (['ELOOP', 'ENOENT', 'ENXIO', 'EMLINK'].includes(codeOf(error) ?? '')) return null;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return null;
    if (expected && (stats.ino !== expected.ino || stats.dev !== expected.dev)) return null;
    const parts: Buffer[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, limit - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      parts.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(parts);
  } finally {
    await handle.close();
  }
}

/** The etag of what `path` holds now, `null` when it is no regular file. */
async function etagOf(path: string): Promise<string | null> {
  const bytes = await readBounded(path, ETAG_COMPARE_BYTES);
  return bytes ? claudeConfigEtag(bytes) : null;
}

/** A skill folder's entries, breadth first, at most `limit`, never descending into links. */
async function listTree(
  root: string,
  limit: number,
): Promise<{ files: StoredTreeEntry[]; truncated: boolean }> {
  const files: StoredTreeEntry[] = [];
  const queue: Array<{ dir: string; prefix: string; depth: number }> = [{ dir: root, prefix: '', depth: 1 }];
  while (queue.length > 0) {
    const { dir, prefix, depth } = queue.shift()!;
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.') && name.includes('.rdev-')) continue;
      if (files.length >= limit) return { files: byPath(files), truncated: true };
      const path = join(dir, name);
      const stats = await lstatOrNull(path);
      if (!stats) continue;
      const type = stats.isSymbolicLink()
        ? 'symlink'
        : stats.isDirectory()
          ? 'directory'
          : stats.isFile()
            ? 'file'
            : 'other';
      files.push({ path: `${prefix}${name}`, type, size: stats.size });
      if (type === 'directory' && depth < SKILL_TREE_MAX_DEPTH) {
        queue.push({ dir: path, prefix: `${prefix}${name}/`, depth: depth + 1 });
      }
    }
  }
  return { files: byPath(files), truncated: false };
}

function byPath(files: StoredTreeEntry[]): StoredTreeEntry[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function workspaceRoot(target: WorkspaceTarget): Promise<string> {
  try {
    // The workspace folder itself may be reached through a link (a configured path); below it
    // nothing may be.
    return await realpath(target.workspacePath);
  } catch {
    throw new RuntimeUnavailableError(
      `The workspace folder of project "${target.projectName}" does not exist: ${target.workspacePath}`,
      { project: target.projectName },
    );
  }
}

/**
 * File system failures (permissions, a full disk, a folder swapped mid-way) become
 * RUNTIME_UNAVAILABLE with the system's reason, instead of an unexpected error.
 */
async function guarded<T>(
  target: WorkspaceTarget,
  layout: ClaudeConfigLayout,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError || !codeOf(error)) throw error;
    throw new RuntimeUnavailableError(
      `Could not use .claude/${layout.folder} in project "${target.projectName}": ${(error as Error).message}`,
      { project: target.projectName, errno: codeOf(error) },
    );
  }
}

function checkName(layout: ClaudeConfigLayout, name: string): void {
  const problem = claudeConfigNameProblem(layout.kind, name);
  if (problem) throw new ValidationError([{ path: 'name', message: problem }]);
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return null;
    throw error;
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function ignoreCode(code: string) {
  return (error: unknown) => {
    if (codeOf(error) !== code) throw error;
  };
}
