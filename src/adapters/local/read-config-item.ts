import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ClaudeConfigLayout,
  CONFIG_FILE_SUFFIX,
  claudeConfigEtag,
  ETAG_COMPARE_BYTES,
  SKILL_FILE_NAME,
  SKILL_TREE_MAX_DEPTH,
} from '../../domain/claude-config.js';
import type { ReadLimits, StoredConfigItem, StoredTreeEntry } from '../../ports/workspace-files.js';
import { codeOf, lstatOrNull } from './fs-errors.js';

// O_NONBLOCK: opening a FIFO planted under an item's name must not wait for a writer.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * One item of `layout` in the kind's `folder`, as it is on disk: its content when it is a regular,
 * singly linked file within the limits and `budget`, otherwise why it was not read. `null` when
 * there is no such item.
 */
export async function readConfigItem(
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

/** The etag of what `path` holds now, `null` when it is no regular file. */
export async function etagOf(path: string): Promise<string | null> {
  const bytes = await readBounded(path, ETAG_COMPARE_BYTES);
  return bytes ? claudeConfigEtag(bytes) : null;
}
