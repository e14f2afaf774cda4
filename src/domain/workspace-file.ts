import { createHash } from 'node:crypto';

/**
 * Workspace files: any file or folder below a project's workspace, reached by a path relative to
 * it. A path is `/`-separated, normalised (no empty, `.` or `..` segments) and never absolute; the
 * empty path is the workspace itself. Project settings may hide paths (never listed, read or
 * written) or make them read-only.
 */

/** What is found at a path. Links are reported as links and never followed. */
export const WORKSPACE_FILE_KINDS = ['FILE', 'DIRECTORY', 'SYMLINK', 'OTHER'] as const;
export type WorkspaceFileKind = (typeof WORKSPACE_FILE_KINDS)[number];

/** One entry of a workspace, as `lstat` sees it. */
export interface WorkspaceFile {
  projectName: string;
  /** Normalised, relative to the workspace; `''` for the workspace itself. */
  path: string;
  kind: WorkspaceFileKind;
  /** Bytes (of the link itself for a link). */
  size: number;
  modifiedAt: Date;
  /** Permission bits, e.g. `0o644`. */
  mode: number;
  /** {@link workspaceFileEtag} for regular files; `null` for anything else. */
  etag: string | null;
}

/** Longest path accepted, in UTF-8 bytes (Linux's PATH_MAX less room for the workspace). */
export const MAX_WORKSPACE_PATH_BYTES = 3072;
/** Longest single name (Linux's NAME_MAX). */
export const MAX_WORKSPACE_NAME_BYTES = 255;
/** Largest content a GraphQL field or mutation carries inline; larger files go through HTTP. */
export const MAX_INLINE_FILE_BYTES = 1024 * 1024;
/** Most entries one listing looks at, so a huge tree cannot hold a request for long. */
export const MAX_LISTED_ENTRIES = 10_000;

/** Hidden in every project: rdev's own run folders. */
export const ALWAYS_HIDDEN = ['.rdev/**'] as const;
/** Read-only in every project: git's own database is changed through git, not file writes. */
export const ALWAYS_READ_ONLY = ['.git/**'] as const;

/** The path rules of one project, from its `files` setting. */
export interface WorkspaceFileRules {
  readOnly: readonly string[];
  hidden: readonly string[];
}

/**
 * The normalised form of `raw`, or why it is refused. `allowRoot`: the empty path (the workspace
 * itself) is accepted, as for listings.
 */
export function normaliseWorkspacePath(
  raw: string,
  allowRoot = false,
): { path: string } | { problem: string } {
  if (raw.includes('\0')) return { problem: 'must not contain a NUL character' };
  if (raw.startsWith('/') || raw.startsWith('\\')) return { problem: 'must be relative to the workspace' };
  if (Buffer.byteLength(raw) > MAX_WORKSPACE_PATH_BYTES) {
    return { problem: `must be at most ${MAX_WORKSPACE_PATH_BYTES} bytes` };
  }
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { problem: 'must not contain ".." segments' };
    if (Buffer.byteLength(segment) > MAX_WORKSPACE_NAME_BYTES) {
      return { problem: `each name must be at most ${MAX_WORKSPACE_NAME_BYTES} bytes` };
    }
    segments.push(segment);
  }
  if (segments.length === 0 && !allowRoot) return { problem: 'must name a file below the workspace' };
  return { path: segments.join('/') };
}

/** The last segment of a path; `''` for the workspace itself. */
export function workspaceFileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The parent folder of a path; `''` for a top-level entry. */
export function workspaceParent(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/**
 * What a project's rules allow at `path`: `hidden` paths are neither listed, read nor written,
 * `read-only` ones are read but not changed.
 */
export function workspacePathAccess(
  rules: WorkspaceFileRules | undefined,
  path: string,
): 'hidden' | 'read-only' | 'open' {
  const hidden = [...ALWAYS_HIDDEN, ...(rules?.hidden ?? [])];
  if (hidden.some((glob) => globMatches(glob, path))) return 'hidden';
  const readOnly = [...ALWAYS_READ_ONLY, ...(rules?.readOnly ?? [])];
  if (readOnly.some((glob) => globMatches(glob, path))) return 'read-only';
  return 'open';
}

/** Why `glob` is not a usable path glob, or `null`. */
export function workspaceGlobProblem(glob: string): string | null {
  if (glob.length === 0) return 'must not be empty';
  if (glob.length > 512) return 'must be at most 512 characters';
  if (glob.startsWith('/')) return 'must be relative to the workspace';
  if (glob.includes('\0')) return 'must not contain a NUL character';
  return null;
}

const globCache = new Map<string, RegExp>();

/**
 * Whether `path` matches `glob`: `*` and `?` stay within one name, `**` spans folders, and a glob
 * ending in `/**` also matches the folder itself, so `.rdev/**` covers `.rdev`.
 */
export function globMatches(glob: string, path: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    re = globRegExp(glob);
    if (globCache.size < 1000) globCache.set(glob, re);
  }
  return re.test(path);
}

function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      const slashBefore = i === 0 || glob[i - 1] === '/';
      if (slashBefore && i + 2 === glob.length && i > 0) {
        // `dir/**`: the folder itself or anything below it.
        source = `${source.slice(0, -1)}(?:/.*)?`;
      } else {
        source += slashAfter ? '(?:.*/)?' : '.*';
      }
      i += slashAfter ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * The etag of a regular file: SHA-256 (hex) of its identity and change time. Every write through
 * rdev renames a new file into place, so the etag changes with each write even when the bytes do
 * not; an edit in place changes the change time. It costs one `stat`, however large the file.
 */
export function workspaceFileEtag(meta: { dev: bigint; ino: bigint; size: bigint; ctimeNs: bigint }): string {
  return createHash('sha256').update(`${meta.dev}:${meta.ino}:${meta.size}:${meta.ctimeNs}`).digest('hex');
}

/** `Content-Type` guessed from a file name; `application/octet-stream` when unknown. */
export function guessContentType(name: string): string {
  const dot = name.lastIndexOf('.');
  const ext = dot === -1 ? '' : name.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

const TEXT = 'text/plain; charset=utf-8';
const CONTENT_TYPES: Record<string, string> = {
  txt: TEXT,
  md: 'text/markdown; charset=utf-8',
  ts: TEXT,
  tsx: TEXT,
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  py: TEXT,
  go: TEXT,
  rs: TEXT,
  sh: TEXT,
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  wasm: 'application/wasm',
};
