import type { WorkspaceFileKind } from '../domain/workspace-file.js';
import type { WorkspaceTarget } from './workspace-runtime.js';

/** One entry as the file system reports it; `path` is relative to the workspace. */
export interface FileStat {
  path: string;
  kind: WorkspaceFileKind;
  size: number;
  modifiedAt: Date;
  mode: number;
  /** Hard links to the same file; more than one may mean an alias of a file outside the workspace. */
  links: number;
  /** Regular files only. */
  etag: string | null;
}

/** A byte range of a read, both ends included, as HTTP `Range` names it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a write expects to find at its path. */
export interface WriteConditions {
  /** The etag the current file must have; `null` for any (or none). */
  ifMatch: string | null;
  /** True: only create, never replace (`If-None-Match: *`). */
  createOnly: boolean;
  /** Create missing parent folders. */
  createParents: boolean;
  /** `true`/`false` set the execute bits; `null` keeps a replaced file's mode (new files 0644). */
  executable: boolean | null;
  /** The write fails with PAYLOAD_TOO_LARGE once the body exceeds this many bytes. */
  maxBytes: number;
}

/**
 * Any file below a project's workspace, locally or in a pod. Paths arrive normalised (see
 * `normaliseWorkspacePath`) and checked against the project's rules; implementations keep the
 * file system rules:
 * - No component of a path may be a symbolic link, also if one is swapped in between a check
 *   and the use: links are reported as `SYMLINK` and never followed (FORBIDDEN, `details.reason`
 *   `symlink`).
 * - Only regular files are read or written; FIFOs, devices and sockets are refused without being
 *   opened for I/O. Files with more than one hard link are neither read nor replaced
 *   (`hard-linked`): they may be aliases of files outside the workspace.
 * - Writes go to a temporary file in the target's folder and are renamed into place, so a reader
 *   sees the old or the new bytes, never half.
 *
 * Failures are domain errors: NOT_FOUND, CONFLICT (exists, or a folder where a file is wanted),
 * PRECONDITION_FAILED (stale etag), FORBIDDEN (links, special files), PAYLOAD_TOO_LARGE,
 * RUNTIME_UNAVAILABLE (the workspace cannot be reached).
 */
export interface WorkspaceFileSystem {
  /** The entry at `path` (not following a final link), or `null` when there is none. */
  stat(target: WorkspaceTarget, path: string): Promise<FileStat | null>;

  /**
   * The entries of the folder `path` (`''`: the workspace), below it too when `recursive` (never
   * descending into links or `skip`ped paths), at most `maxEntries`; `truncated` when more were
   * there. Sorted by path. NOT_FOUND when there is no such folder.
   */
  list(
    target: WorkspaceTarget,
    path: string,
    options: { recursive: boolean; maxEntries: number; skip(path: string): boolean },
  ): Promise<{ entries: FileStat[]; truncated: boolean }>;

  /** The bytes of the regular file at `path` (a slice of them with `range`), streamed. */
  read(
    target: WorkspaceTarget,
    path: string,
    range?: ByteRange | null,
  ): Promise<{ file: FileStat; body: AsyncIterable<Uint8Array> }>;

  /** Stores `body` at `path` atomically; returns the new file. */
  write(
    target: WorkspaceTarget,
    path: string,
    body: AsyncIterable<Uint8Array>,
    conditions: WriteConditions,
  ): Promise<FileStat>;

  /** Deletes a file, a link or a folder (non-empty folders only with `recursive`). */
  remove(
    target: WorkspaceTarget,
    path: string,
    options: { ifMatch: string | null; recursive: boolean },
  ): Promise<void>;

  /** Renames `from` to `to`; CONFLICT when `to` exists and `overwrite` is false. */
  move(
    target: WorkspaceTarget,
    from: string,
    to: string,
    options: { ifMatch: string | null; overwrite: boolean },
  ): Promise<FileStat>;

  /** Creates the folder and any missing parents; CONFLICT when something is there already. */
  createDirectory(target: WorkspaceTarget, path: string): Promise<FileStat>;
}
