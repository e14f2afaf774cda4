import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLAUDE_DIR,
  type ClaudeConfigLayout,
  CONFIG_FILE_SUFFIX,
  claudeConfigNameProblem,
  isClaudeConfigName,
  SKILL_FILE_NAME,
  unsafeClaudePathError,
} from '../../domain/claude-config.js';
import { DomainError, RuntimeUnavailableError, ValidationError } from '../../domain/errors.js';
import type {
  ReadLimits,
  RemoveOutcome,
  StoredConfigItem,
  WorkspaceFiles,
  WriteExpectation,
  WriteOutcome,
} from '../../ports/workspace-files.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';
import { codeOf, ignoreCode, lstatOrNull } from './fs-errors.js';
import { etagOf, readConfigItem } from './read-config-item.js';

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
      const item = await readConfigItem(folder, layout, name, limits, budget);
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
    return folder ? readConfigItem(folder, layout, name, limits, limits.maxTotalBytes) : null;
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
