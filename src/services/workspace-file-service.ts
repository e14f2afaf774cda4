import { z } from 'zod';
import { auditActor } from '../domain/audit.js';
import { requireProjectAccess, requireScope } from '../domain/authorization.js';
import { ForbiddenError, NotFoundError, PayloadTooLargeError, ValidationError } from '../domain/errors.js';
import { type Principal, systemPrincipal } from '../domain/principal.js';
import { MAX_PROJECT_NAME_LENGTH, type Project } from '../domain/project.js';
import {
  MAX_INLINE_FILE_BYTES,
  MAX_LISTED_ENTRIES,
  normaliseWorkspacePath,
  type WorkspaceFile,
  workspacePathAccess,
} from '../domain/workspace-file.js';
import { workspaceTarget } from '../engine/workspace-target.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { ByteRange, FileStat, WorkspaceFileSystem } from '../ports/workspace-file-system.js';
import type { ClaudeConfigProjectLookup } from './claude-config-service.js';
import { KeyedQueue } from './keyed-queue.js';
import { parseInput } from './validation.js';

const SYSTEM = systemPrincipal('workspace-files');

export interface WorkspaceFileServiceDeps {
  projects: ClaudeConfigProjectLookup;
  files: WorkspaceFileSystem;
  unitOfWork: UnitOfWork;
  /** Largest body one streamed upload stores (`RDEV_MAX_UPLOAD_BYTES`). */
  maxUploadBytes: number;
}

const projectName = z.string().min(1).max(MAX_PROJECT_NAME_LENGTH);
const etag = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be an etag read from this API (64 hexadecimal characters)')
  .nullish();
const writeSchema = z
  .object({
    projectName,
    path: z.string(),
    text: z.string().nullish(),
    contentBase64: z.string().nullish(),
    ifMatch: etag,
    createParents: z.boolean().nullish(),
    executable: z.boolean().nullish(),
  })
  .refine((v) => (v.text == null) !== (v.contentBase64 == null), {
    message: 'give exactly one of text and contentBase64',
    path: ['text'],
  });
const deleteSchema = z.object({
  projectName,
  path: z.string(),
  ifMatch: etag,
  recursive: z.boolean().nullish(),
});
const moveSchema = z.object({
  projectName,
  from: z.string(),
  to: z.string(),
  ifMatch: etag,
  overwrite: z.boolean().nullish(),
});
const dirSchema = z.object({ projectName, path: z.string() });

export type WriteFileInput = z.input<typeof writeSchema>;
export type DeleteFileInput = z.input<typeof deleteSchema>;
export type MoveFileInput = z.input<typeof moveSchema>;
export type CreateDirectoryInput = z.input<typeof dirSchema>;

/** A streamed upload (HTTP `PUT`). */
export interface UploadInput {
  projectName: string;
  path: string;
  body: AsyncIterable<Uint8Array>;
  ifMatch: string | null;
  createOnly: boolean;
}

/**
 * Any file of a project's workspace. Every method checks the caller first (`files:read` or
 * `files:write`, and the key's project grant: other projects are NOT_FOUND), then the path (relative,
 * normalised, not hidden; for changes not read-only), then lets the runtime's file system apply its
 * own rules. Changes to one path are serialised within this process and audited with path and size.
 */
export class WorkspaceFileService {
  private readonly queue = new KeyedQueue();

  constructor(private readonly deps: WorkspaceFileServiceDeps) {}

  /** The entry at `path`, or `null`. */
  async get(caller: Principal | null, name: string, rawPath: string): Promise<WorkspaceFile | null> {
    const { project, path } = await this.open(caller, 'files:read', name, rawPath, 'path', 'read');
    const stat = await this.deps.files.stat(workspaceTarget(project), path);
    return stat ? toFile(project.name, stat) : null;
  }

  /** Entries below a folder, sorted by path; hidden paths are left out. */
  async list(
    caller: Principal | null,
    name: string,
    rawPath: string,
    recursive: boolean,
  ): Promise<{ files: WorkspaceFile[]; truncated: boolean }> {
    const { project, path } = await this.open(caller, 'files:read', name, rawPath, 'path', 'read', true);
    const rules = project.fileRules;
    const { entries, truncated } = await this.deps.files.list(workspaceTarget(project), path, {
      recursive,
      maxEntries: MAX_LISTED_ENTRIES,
      skip: (p) => workspacePathAccess(rules, p) === 'hidden',
    });
    return { files: entries.map((e) => toFile(project.name, e)), truncated };
  }

  /**
   * Up to `maxBytes` (at most {@link MAX_INLINE_FILE_BYTES}) of a regular file; `null` when it is
   * larger.
   */
  async readInline(
    caller: Principal | null,
    name: string,
    rawPath: string,
    maxBytes: number | null | undefined,
  ): Promise<Buffer | null> {
    const limit = maxBytes ?? MAX_INLINE_FILE_BYTES;
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_INLINE_FILE_BYTES) {
      throw new ValidationError([
        {
          path: 'maxBytes',
          message: `must be between 0 and ${MAX_INLINE_FILE_BYTES}; read larger files over HTTP`,
        },
      ]);
    }
    const { project, path } = await this.open(caller, 'files:read', name, rawPath, 'path', 'read');
    const stat = await this.deps.files.stat(workspaceTarget(project), path);
    if (!stat || stat.kind === 'DIRECTORY') return null;
    if (stat.kind === 'FILE' && stat.size > limit) return null;
    const { body } = await this.deps.files.read(workspaceTarget(project), path, null);
    const parts: Buffer[] = [];
    let total = 0;
    // Leaving the loop early closes the file (the iterator's return()).
    for await (const chunk of body) {
      total += chunk.length;
      if (total > limit) break;
      parts.push(Buffer.from(chunk));
    }
    return total > limit ? null : Buffer.concat(parts);
  }

  /** A regular file's bytes, streamed (HTTP `GET`). */
  async download(
    caller: Principal | null,
    name: string,
    rawPath: string,
    range: ByteRange | null,
  ): Promise<{ file: WorkspaceFile; body: AsyncIterable<Uint8Array> }> {
    const { project, path } = await this.open(caller, 'files:read', name, rawPath, 'path', 'read');
    const { file, body } = await this.deps.files.read(workspaceTarget(project), path, range);
    return { file: toFile(project.name, file), body };
  }

  /** Stores inline content (GraphQL), at most {@link MAX_INLINE_FILE_BYTES}. */
  async write(caller: Principal | null, input: WriteFileInput): Promise<WorkspaceFile> {
    requireScope(caller, 'files:write');
    const data = parseInput(writeSchema, input);
    const bytes = data.text != null ? Buffer.from(data.text, 'utf8') : decodeBase64(data.contentBase64 ?? '');
    if (bytes.length > MAX_INLINE_FILE_BYTES) {
      throw new PayloadTooLargeError(
        `Inline content is limited to ${MAX_INLINE_FILE_BYTES} bytes; upload larger files with PUT /api/v1/projects/{name}/files/{path}.`,
        { size: bytes.length, limit: MAX_INLINE_FILE_BYTES },
      );
    }
    return this.store(
      caller,
      data.projectName,
      data.path,
      (async function* () {
        yield bytes;
      })(),
      {
        ifMatch: data.ifMatch ?? null,
        createOnly: false,
        createParents: data.createParents ?? false,
        executable: data.executable ?? null,
        maxBytes: MAX_INLINE_FILE_BYTES,
      },
    );
  }

  /** Stores a streamed body (HTTP `PUT`), at most `RDEV_MAX_UPLOAD_BYTES`; parents are created. */
  async upload(caller: Principal | null, input: UploadInput): Promise<WorkspaceFile> {
    requireScope(caller, 'files:write');
    return this.store(caller, input.projectName, input.path, input.body, {
      ifMatch: input.ifMatch,
      createOnly: input.createOnly,
      createParents: true,
      executable: null,
      maxBytes: this.deps.maxUploadBytes,
    });
  }

  async delete(caller: Principal | null, input: DeleteFileInput): Promise<{ path: string }> {
    requireScope(caller, 'files:write');
    const data = parseInput(deleteSchema, input);
    const { project, path } = await this.open(
      caller,
      'files:write',
      data.projectName,
      data.path,
      'path',
      'change',
    );
    const before = await this.deps.files.stat(workspaceTarget(project), path);
    await this.queue.run(`${project.name}:${path}`, () =>
      this.deps.files.remove(workspaceTarget(project), path, {
        ifMatch: data.ifMatch ?? null,
        recursive: data.recursive ?? false,
      }),
    );
    await this.audit(caller, 'file.delete', project.name, path, {
      size: before?.size ?? null,
      kind: before?.kind ?? null,
    });
    return { path };
  }

  async move(caller: Principal | null, input: MoveFileInput): Promise<WorkspaceFile> {
    requireScope(caller, 'files:write');
    const data = parseInput(moveSchema, input);
    const { project, path: from } = await this.open(
      caller,
      'files:write',
      data.projectName,
      data.from,
      'from',
      'change',
    );
    const { path: to } = await this.open(caller, 'files:write', data.projectName, data.to, 'to', 'change');
    if (from === to) throw new ValidationError([{ path: 'to', message: 'must differ from "from"' }]);
    // Both paths are held, always in the same order, so two opposite moves cannot wait on each other.
    const [first, second] = [from, to].sort();
    const moved = await this.queue.run(`${project.name}:${first}`, () =>
      this.queue.run(`${project.name}:${second}`, () =>
        this.deps.files.move(workspaceTarget(project), from, to, {
          ifMatch: data.ifMatch ?? null,
          overwrite: data.overwrite ?? false,
        }),
      ),
    );
    await this.audit(caller, 'file.move', project.name, to, { from, size: moved.size, kind: moved.kind });
    return toFile(project.name, moved);
  }

  async createDirectory(caller: Principal | null, input: CreateDirectoryInput): Promise<WorkspaceFile> {
    requireScope(caller, 'files:write');
    const data = parseInput(dirSchema, input);
    const { project, path } = await this.open(
      caller,
      'files:write',
      data.projectName,
      data.path,
      'path',
      'change',
    );
    const created = await this.queue.run(`${project.name}:${path}`, () =>
      this.deps.files.createDirectory(workspaceTarget(project), path),
    );
    await this.audit(caller, 'file.create_directory', project.name, path, {});
    return toFile(project.name, created);
  }

  private async store(
    caller: Principal,
    name: string,
    rawPath: string,
    body: AsyncIterable<Uint8Array>,
    conditions: Parameters<WorkspaceFileSystem['write']>[3],
  ): Promise<WorkspaceFile> {
    const { project, path } = await this.open(caller, 'files:write', name, rawPath, 'path', 'change');
    const written = await this.queue.run(`${project.name}:${path}`, () =>
      this.deps.files.write(workspaceTarget(project), path, body, conditions),
    );
    await this.audit(caller, 'file.write', project.name, path, {
      size: written.size,
      etag: written.etag,
      ifMatch: conditions.ifMatch,
    });
    return toFile(project.name, written);
  }

  /** Checks scope, grant, project and path, in that order. */
  private async open(
    caller: Principal | null,
    scope: 'files:read' | 'files:write',
    name: string,
    rawPath: string,
    field: string,
    use: 'read' | 'change',
    allowRoot = false,
  ): Promise<{ project: Project; path: string }> {
    requireScope(caller, scope);
    const projectNameOk = projectName.safeParse(name);
    if (!projectNameOk.success) throw new NotFoundError('Project', name.slice(0, MAX_PROJECT_NAME_LENGTH));
    requireProjectAccess(caller, name);
    const normal = normaliseWorkspacePath(rawPath, allowRoot);
    if ('problem' in normal) throw new ValidationError([{ path: field, message: normal.problem }]);
    // The caller's grant was checked; files do not also need `projects:read`.
    const project = await this.deps.projects.find(SYSTEM, name);
    if (!project) throw new NotFoundError('Project', name);
    const access = workspacePathAccess(project.fileRules, normal.path);
    if (access === 'hidden') {
      throw new ForbiddenError(`"${normal.path}" is hidden by the settings of project "${name}".`, {
        reason: 'hidden',
        path: normal.path,
      });
    }
    if (access === 'read-only' && use === 'change') {
      throw new ForbiddenError(`"${normal.path}" is read-only by the settings of project "${name}".`, {
        reason: 'read-only',
        path: normal.path,
      });
    }
    return { project, path: normal.path };
  }

  private audit(
    caller: Principal,
    action: string,
    projectName: string,
    path: string,
    details: Record<string, unknown>,
  ) {
    return this.deps.unitOfWork.run(({ audit }) =>
      audit.record({
        ...auditActor(caller),
        action,
        targetType: 'WorkspaceFile',
        targetId: `${projectName}:${path}`,
        outcome: 'SUCCESS',
        details: { projectName, path, ...details },
      }),
    );
  }
}

function toFile(projectName: string, stat: FileStat): WorkspaceFile {
  return {
    projectName,
    path: stat.path,
    kind: stat.kind,
    size: stat.size,
    modifiedAt: stat.modifiedAt,
    mode: stat.mode,
    etag: stat.etag,
  };
}

function decodeBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new ValidationError([
      { path: 'contentBase64', message: 'must be standard base64 (RFC 4648, padded)' },
    ]);
  }
  return Buffer.from(text, 'base64');
}
