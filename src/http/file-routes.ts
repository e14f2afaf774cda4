import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, NotFoundError, PayloadTooLargeError, ValidationError } from '../domain/errors.js';
import { guessContentType, type WorkspaceFile, workspaceFileName } from '../domain/workspace-file.js';
import type { Logger } from '../observability/logger.js';
import type { ByteRange } from '../ports/workspace-file-system.js';
import type { WorkspaceFileService } from '../services/workspace-file-service.js';
import type { RequestInfo, RouteHandler } from './http-server.js';
import { sendError, sendJson } from './json-response.js';

export interface FileRoutesDeps {
  files: WorkspaceFileService;
  logger: Logger;
  /** `RDEV_MAX_UPLOAD_BYTES`. */
  maxUploadBytes: number;
}

const FILES = /^\/api\/v1\/projects\/([^/?]+)\/files(?:\/([^?]*))?(?:\?.*)?$/;
const RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * `GET|HEAD|PUT|DELETE /api/v1/projects/{name}/files/{path}` and `GET …/files/{dir}/` (a JSON
 * listing): whole files of any size, streamed both ways, so memory stays flat. They call the same
 * service as GraphQL, so scopes, grants, project rules and path checks are the same. The path is
 * taken from the raw request line, so `..` sent as `%2e%2e` is refused rather than resolved away.
 */
export function createFileRoutes(deps: FileRoutesDeps): RouteHandler {
  return async (info) => {
    const m = FILES.exec(info.req.url ?? '');
    if (!m) return false;
    const method = info.req.method ?? 'GET';
    try {
      const projectName = decode(m[1]!);
      const rawPath = decode(m[2] ?? '');
      const listing = rawPath === '' || rawPath.endsWith('/');
      if (listing) {
        if (method !== 'GET') return methodNotAllowed(info.res, 'GET');
        await list(info, projectName, rawPath);
      } else if (method === 'GET' || method === 'HEAD') await download(info, projectName, rawPath);
      else if (method === 'PUT') await upload(info, projectName, rawPath);
      else if (method === 'DELETE') await remove(info, projectName, rawPath);
      else return methodNotAllowed(info.res, 'GET, HEAD, PUT, DELETE');
    } catch (error) {
      if (!(error instanceof DomainError)) {
        deps.logger.error({ err: error, requestId: info.requestId }, 'file route failed');
      }
      sendError(info.res, error);
    }
    return true;
  };

  async function list(info: RequestInfo, projectName: string, rawPath: string) {
    const recursive = info.url.searchParams.get('recursive') === 'true';
    const { files, truncated } = await deps.files.list(info.principal, projectName, rawPath, recursive);
    sendJson(info.res, 200, { path: rawPath.replace(/\/+$/, ''), truncated, entries: files.map(fileJson) });
  }

  async function download(info: RequestInfo, projectName: string, rawPath: string) {
    const { req, res } = info;
    const head = await deps.files.get(info.principal, projectName, rawPath);
    if (!head) throw new NotFoundError('WorkspaceFile', `${projectName}:${rawPath}`);
    if (head.kind === 'DIRECTORY') {
      return sendJson(res, 409, {
        error: { code: 'CONFLICT', message: `"${head.path}" is a folder; list it with a trailing "/".` },
      });
    }
    const validator = head.etag ? `"${head.etag}"` : null;
    if (validator && etagListMatches(req.headers['if-none-match'], head.etag!)) {
      res.writeHead(304, { etag: validator });
      res.end();
      return;
    }
    const range = parseRange(req.headers.range, head.size);
    if (range === 'unsatisfiable') {
      return sendJson(
        res,
        416,
        { error: { code: 'RANGE_NOT_SATISFIABLE', message: `The file has ${head.size} bytes.` } },
        { 'content-range': `bytes */${head.size}` },
      );
    }
    const { file, body } = await deps.files.download(info.principal, projectName, rawPath, range);
    const stream = Readable.from(body);
    if (file.etag !== head.etag) {
      // Replaced between the look and the open: the range may not fit; the client asks again.
      stream.destroy();
      return sendJson(
        res,
        503,
        {
          error: { code: 'SERVICE_UNAVAILABLE', message: 'The file changed while it was opened; retry.' },
        },
        { 'retry-after': '0' },
      );
    }
    const length = range ? range.end - range.start + 1 : file.size;
    res.writeHead(range ? 206 : 200, {
      'content-type': guessContentType(workspaceFileName(file.path)),
      'content-length': String(length),
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(workspaceFileName(file.path))}`,
      'accept-ranges': 'bytes',
      'last-modified': file.modifiedAt.toUTCString(),
      'cache-control': 'private, no-cache',
      // Workspace content is never run as a page of this origin.
      'x-content-type-options': 'nosniff',
      'content-security-policy': 'sandbox',
      ...(validator ? { etag: validator } : {}),
      ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${file.size}` } : {}),
    });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    await pipeline(stream, res).catch(() => {
      // The client went away; the file is closed by the pipeline.
    });
  }

  async function upload(info: RequestInfo, projectName: string, rawPath: string) {
    const { req, res } = info;
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > deps.maxUploadBytes) {
      throw new PayloadTooLargeError(
        `The body is ${declared} bytes; the limit is ${deps.maxUploadBytes} bytes (RDEV_MAX_UPLOAD_BYTES).`,
        { size: declared, limit: deps.maxUploadBytes },
      );
    }
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
      throw new ValidationError([
        { path: 'If-None-Match', message: 'only "*" (create, never replace) is supported' },
      ]);
    }
    const existed = (await deps.files.get(info.principal, projectName, rawPath)) !== null;
    const file = await deps.files.upload(info.principal, {
      projectName,
      path: rawPath,
      body: req,
      ifMatch: singleEtag(req.headers['if-match']),
      createOnly: ifNoneMatch !== undefined,
    });
    sendJson(res, existed ? 200 : 201, fileJson(file), file.etag ? { etag: `"${file.etag}"` } : {});
  }

  async function remove(info: RequestInfo, projectName: string, rawPath: string) {
    const recursive = info.url.searchParams.get('recursive') === 'true';
    await deps.files.delete(info.principal, {
      projectName,
      path: rawPath,
      ifMatch: singleEtag(info.req.headers['if-match']),
      recursive,
    });
    info.res.writeHead(204, { 'cache-control': 'no-store' });
    info.res.end();
  }
}

function fileJson(f: WorkspaceFile) {
  return {
    path: f.path,
    name: workspaceFileName(f.path),
    kind: f.kind,
    size: f.size,
    modifiedAt: f.modifiedAt.toISOString(),
    mode: f.mode,
    etag: f.etag,
  };
}

/** One byte range of `Range: bytes=…`; `null` for none or a form rdev serves whole. */
function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = RANGE.exec(header.trim());
  // Several ranges or another unit: RFC 9110 lets a server ignore Range and send the whole file.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** The etag of `If-Match` (quotes and a weak prefix removed); `null` when absent or `*`. */
function singleEtag(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '*') return null;
  const tags = header.split(',').map(unquote);
  if (tags.length !== 1) {
    throw new ValidationError([{ path: 'If-Match', message: 'give one etag, as read from ETag' }]);
  }
  return tags[0]!;
}

function etagListMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => unquote(tag) === etag);
}

function unquote(tag: string): string {
  return tag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ValidationError([{ path: 'path', message: 'is not a valid percent-encoded path' }]);
  }
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  sendJson(
    res,
    405,
    { error: { code: 'METHOD_NOT_ALLOWED', message: `Use ${allow} on this path.` } },
    { allow },
  );
  return true;
}
