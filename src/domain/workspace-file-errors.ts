import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
} from './errors.js';

/**
 * The errors of the workspace file API, one wording for both runtimes. `path` is always the
 * normalised relative path; nothing about the workspace's location leaks.
 */

/** Why a path is refused by the file system rules (not by the project's settings). */
export type UnsafeFileReason = 'symlink' | 'not-a-folder' | 'special-file' | 'hard-linked';

export function fileNotFound(projectName: string, path: string): NotFoundError {
  return new NotFoundError('WorkspaceFile', `${projectName}:${path}`);
}

export function unsafeFile(projectName: string, path: string, reason: UnsafeFileReason): ForbiddenError {
  const what = {
    symlink: 'is or passes through a symbolic link; rdev does not follow links in the file API',
    'not-a-folder': 'passes through something that is not a folder',
    'special-file': 'is not a regular file (a FIFO, device or socket)',
    'hard-linked': 'has more than one hard link, so it may be an alias of a file outside the workspace',
  }[reason];
  return new ForbiddenError(`"${path}" in project "${projectName}" ${what}.`, { reason, path });
}

export function fileExists(projectName: string, path: string, hint = ''): ConflictError {
  return new ConflictError(`"${path}" already exists in project "${projectName}".${hint}`, {
    reason: 'exists',
    path,
  });
}

export function notAFile(projectName: string, path: string): ConflictError {
  return new ConflictError(`"${path}" in project "${projectName}" is a folder, not a file.`, {
    reason: 'directory',
    path,
  });
}

export function folderNotEmpty(projectName: string, path: string): ConflictError {
  return new ConflictError(
    `The folder "${path}" in project "${projectName}" is not empty; pass recursive: true to delete it with its contents.`,
    { reason: 'not-empty', path },
  );
}

export function staleFile(path: string): PreconditionFailedError {
  return new PreconditionFailedError(
    `"${path}" changed since the version ifMatch names; read it again and retry with its current etag.`,
    { path },
  );
}

export function fileTooLarge(path: string, limit: number, setting: string): PayloadTooLargeError {
  return new PayloadTooLargeError(`The content for "${path}" exceeds ${limit} bytes (${setting}).`, {
    path,
    limit,
  });
}
