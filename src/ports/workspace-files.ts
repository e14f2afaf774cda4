import type { ClaudeConfigLayout } from '../domain/claude-config.js';
import type { WorkspaceTarget } from './workspace-runtime.js';

/** What is found at an item's path below its kind's folder. Links are reported, never followed. */
export type StoredEntryType = 'file' | 'symlink' | 'other';

/** Why a stored item's bytes were not read. */
export type UnreadReason =
  /** Larger than `maxFileBytes`. */
  | 'too-large'
  /** The listing's `maxTotalBytes` was used up by earlier items. */
  | 'budget'
  /** The file has more than one hard link, so it may be another file's alias outside `.claude/`. */
  | 'hard-linked'
  /** Not a regular file (a link, a folder, a device...). */
  | 'not-a-file';

/** An entry of a skill's folder, relative to that folder. */
export interface StoredTreeEntry {
  /** `/`-separated, without `.` or `..` segments. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
}

/** One item as stored in a workspace. */
export interface StoredConfigItem {
  name: string;
  /**
   * For `file` layouts: what `<name>.md` is. For `folder` layouts: `symlink`/`other` when the
   * item's folder itself is a link or not a folder, else what its `SKILL.md` is.
   */
  type: StoredEntryType;
  /** Bytes of the main file (of the link itself for a link). */
  size: number;
  modifiedAt: Date;
  /** The main file's bytes, or `null` (see `unread`). */
  content: Uint8Array | null;
  unread: UnreadReason | null;
  /** `folder` layouts: the folder's entries, at most `maxTreeEntries`; otherwise `null`. */
  files: StoredTreeEntry[] | null;
  /** True when the folder held more entries than `files` shows. */
  filesTruncated: boolean;
}

/** Bounds on what one read may bring back. */
export interface ReadLimits {
  /** Largest file whose bytes are read. */
  maxFileBytes: number;
  /** Most bytes of content one listing brings back; later items come without content. */
  maxTotalBytes: number;
  /** Most entries of a skill folder reported (four levels deep at most). */
  maxTreeEntries: number;
}

/** What a write expects to find: nothing (create), or the item (replace), optionally with these bytes. */
export type WriteExpectation = { mode: 'create' } | { mode: 'replace'; etag: string | null };

export type WriteOutcome =
  | { status: 'written'; size: number; modifiedAt: Date }
  /** Create found the item already there. */
  | { status: 'exists' }
  /** Replace found no item. */
  | { status: 'missing' }
  /** Replace found different bytes than `etag` describes. */
  | { status: 'stale' }
  /** The item's path is a link or not a regular file (folder); nothing was changed. */
  | { status: 'not-a-file'; type: 'symlink' | 'other' };

export type RemoveOutcome =
  | { status: 'removed' }
  | { status: 'missing' }
  | { status: 'stale' }
  | { status: 'not-a-file'; type: 'symlink' | 'other' };

/**
 * Reads and writes Claude Code items under a workspace's `.claude/` folder, locally or in a pod.
 * Implementations join only the layout's fixed folder names and validated item names into paths.
 *
 * Safety rules every implementation keeps:
 * - `.claude` and `.claude/<folder>` must be real folders: a symbolic link (or a file) there makes
 *   every call throw `ConflictError` with `details.reason` `symlink` or `not-a-folder`; nothing is
 *   read through it or written under it. An item's own path that is a link is reported as
 *   `symlink` and never followed.
 * - Writes go to a temporary file in the same folder, then are renamed into place (create links
 *   it, so an existing item is never replaced): readers see the old or the new bytes, never half.
 * - Reads are bounded by {@link ReadLimits}.
 *
 * Other errors: `RuntimeUnavailableError` when the workspace cannot be reached (no folder, pod
 * not running, circuit open, time limit), `ValidationError` for a name the domain rules refuse.
 */
export interface WorkspaceFiles {
  /** Every item of the layout's kind, in name order; empty when the folder does not exist. */
  list(target: WorkspaceTarget, layout: ClaudeConfigLayout, limits: ReadLimits): Promise<StoredConfigItem[]>;

  /** One item, or `null` when there is none (a skill folder without `SKILL.md` is none). */
  read(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    limits: ReadLimits,
  ): Promise<StoredConfigItem | null>;

  /**
   * Stores `content` as the item's main file, creating `.claude/`, the kind's folder and a skill's
   * folder as needed (create only). The etag, when given, is compared just before the rename.
   */
  write(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    content: Uint8Array,
    expect: WriteExpectation,
  ): Promise<WriteOutcome>;

  /**
   * Deletes the item: the file, or a skill's whole folder (moved aside first, so it disappears at
   * once). `etag`, when given, must match the main file's bytes.
   */
  remove(
    target: WorkspaceTarget,
    layout: ClaudeConfigLayout,
    name: string,
    etag: string | null,
  ): Promise<RemoveOutcome>;
}
