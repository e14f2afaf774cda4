import { z } from 'zod';
import { auditActor } from '../domain/audit.js';
import { requireProjectAccess, requireScope } from '../domain/authorization.js';
import {
  CLAUDE_CONFIG_KINDS,
  type ClaudeConfigItem,
  type ClaudeConfigKind,
  claudeConfigItemId,
  claudeConfigLayout,
  claudeConfigNameProblem,
  claudeConfigPath,
  isClaudeConfigEtag,
  parseClaudeConfigItemId,
} from '../domain/claude-config.js';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  ValidationError,
} from '../domain/errors.js';
import { type Principal, systemPrincipal } from '../domain/principal.js';
import { MAX_PROJECT_NAME_LENGTH, type Project } from '../domain/project.js';
import { workspaceTarget } from '../engine/workspace-target.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { ReadLimits, WorkspaceFiles, WriteExpectation } from '../ports/workspace-files.js';
import { parseClaudeConfigDocument } from './claude-config-document.js';
import { storedToItem, treeFiles, writtenItem } from './claude-config-items.js';
import { KeyedQueue } from './keyed-queue.js';
import { parseInput } from './validation.js';

const SYSTEM = systemPrincipal('claude-config');

/** Size bounds, from configuration. */
export interface ClaudeConfigLimits {
  /** Largest item content accepted or read (bytes, UTF-8). */
  maxFileBytes: number;
  /** Most content bytes one listing returns; later items come without content. */
  listMaxBytes: number;
  /** Most entries of a skill's folder shown. Default 200. */
  maxTreeEntries?: number;
}

/** Finding a project by name; asked as the system once the caller's grant is checked. */
export interface ClaudeConfigProjectLookup {
  find(principal: Principal | null, name: string): Promise<Project | null>;
}

export interface ClaudeConfigServiceDeps {
  projects: ClaudeConfigProjectLookup;
  files: WorkspaceFiles;
  unitOfWork: UnitOfWork;
  limits: ClaudeConfigLimits;
}

const ref = {
  projectName: z.string().min(1, 'must not be empty').max(MAX_PROJECT_NAME_LENGTH),
  kind: z.enum(CLAUDE_CONFIG_KINDS),
  // Checked per kind below (claudeConfigNameProblem), so a too-long name gets one clear issue.
  name: z.string(),
};
const ifMatch = z
  .string()
  .refine(isClaudeConfigEtag, 'must be an etag read from this API (64 hexadecimal characters)')
  .nullish();

const withName = <T extends { kind: ClaudeConfigKind; name: string }>(value: T, ctx: z.RefinementCtx) => {
  const problem = claudeConfigNameProblem(value.kind, value.name);
  if (problem) ctx.addIssue({ code: 'custom', path: ['name'], message: problem });
};
const listSchema = z.object({ projectName: ref.projectName, kind: ref.kind });
const getSchema = z.object(ref).superRefine(withName);
const createSchema = z.object({ ...ref, content: z.string() }).superRefine(withName);
const updateSchema = z.object({ ...ref, content: z.string(), ifMatch }).superRefine(withName);
const deleteSchema = z.object({ ...ref, ifMatch }).superRefine(withName);

export type ListClaudeConfigInput = z.input<typeof listSchema>;
export type GetClaudeConfigInput = z.input<typeof getSchema>;
export type CreateClaudeConfigInput = z.input<typeof createSchema>;
export type UpdateClaudeConfigInput = z.input<typeof updateSchema>;
export type DeleteClaudeConfigInput = z.input<typeof deleteSchema>;

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Claude Code commands, skills and agents in project workspaces. Every method checks the caller
 * first: `config:read` or `config:write`, and the key's project grant (a key limited to other
 * projects gets NOT_FOUND, as for projects). Writes are compared against `ifMatch`, serialised per
 * item within this process, and audited with etags, never content.
 */
export class ClaudeConfigService {
  private readonly queue = new KeyedQueue();

  constructor(private readonly deps: ClaudeConfigServiceDeps) {}

  async list(caller: Principal | null, input: ListClaudeConfigInput): Promise<ClaudeConfigItem[]> {
    requireScope(caller, 'config:read');
    const data = parseInput(listSchema, input);
    requireProjectAccess(caller, data.projectName);
    const project = await this.project(data.projectName);
    const layout = claudeConfigLayout(data.kind);
    const stored = await this.deps.files.list(workspaceTarget(project), layout, this.readLimits());
    return stored.map((s) => storedToItem(project.name, data.kind, s, this.deps.limits));
  }

  /** One item, or `null` when the project has none of that name. */
  async get(caller: Principal | null, input: GetClaudeConfigInput): Promise<ClaudeConfigItem | null> {
    requireScope(caller, 'config:read');
    const data = parseInput(getSchema, input);
    requireProjectAccess(caller, data.projectName);
    const project = await this.project(data.projectName);
    const stored = await this.deps.files.read(
      workspaceTarget(project),
      claudeConfigLayout(data.kind),
      data.name,
      this.readLimits(),
    );
    return stored ? storedToItem(project.name, data.kind, stored, this.deps.limits) : null;
  }

  /** The item with id {@link claudeConfigItemId}, or `null`. */
  async getById(caller: Principal | null, id: string): Promise<ClaudeConfigItem | null> {
    requireScope(caller, 'config:read');
    const parts = parseClaudeConfigItemId(id);
    return parts ? this.get(caller, parts) : null;
  }

  /** @throws ConflictError when the item exists already (or its path is a link or a folder). */
  async create(caller: Principal | null, input: CreateClaudeConfigInput): Promise<ClaudeConfigItem> {
    requireScope(caller, 'config:write');
    const data = parseInput(createSchema, input);
    requireProjectAccess(caller, data.projectName);
    return this.write(caller, data, { mode: 'create' });
  }

  /**
   * Replaces an existing item's content. With `ifMatch`, only when the stored bytes still have
   * that etag (else PRECONDITION_FAILED).
   */
  async update(caller: Principal | null, input: UpdateClaudeConfigInput): Promise<ClaudeConfigItem> {
    requireScope(caller, 'config:write');
    const data = parseInput(updateSchema, input);
    requireProjectAccess(caller, data.projectName);
    return this.write(caller, data, { mode: 'replace', etag: data.ifMatch ?? null });
  }

  /** Deletes the item (a skill's whole folder); returns its id. */
  async delete(caller: Principal | null, input: DeleteClaudeConfigInput): Promise<{ id: string }> {
    requireScope(caller, 'config:write');
    const data = parseInput(deleteSchema, input);
    requireProjectAccess(caller, data.projectName);
    const project = await this.project(data.projectName);
    const id = claudeConfigItemId(project.name, data.kind, data.name);
    const etag = data.ifMatch ?? null;
    const outcome = await this.queue.run(id, () =>
      this.deps.files.remove(workspaceTarget(project), claudeConfigLayout(data.kind), data.name, etag),
    );
    if (outcome.status === 'missing') throw new NotFoundError('ClaudeConfigItem', id);
    if (outcome.status === 'stale') throw stale(data.kind, data.name);
    if (outcome.status === 'not-a-file') throw notAFile(project.name, data.kind, data.name, outcome.type);
    await this.audit(caller, 'claude_config.delete', id, {
      projectName: project.name,
      kind: data.kind,
      name: data.name,
      path: claudeConfigPath(data.kind, data.name),
      ifMatch: etag,
    });
    return { id };
  }

  private async write(
    caller: Principal,
    data: { projectName: string; kind: ClaudeConfigKind; name: string; content: string },
    expect: WriteExpectation,
  ): Promise<ClaudeConfigItem> {
    const bytes = this.encode(data.content);
    const parsed = parseClaudeContentOrThrow(data.kind, data.name, data.content);
    const project = await this.project(data.projectName);
    const id = claudeConfigItemId(project.name, data.kind, data.name);
    const target = workspaceTarget(project);
    const layout = claudeConfigLayout(data.kind);
    const outcome = await this.queue.run(id, () =>
      this.deps.files.write(target, layout, data.name, bytes, expect),
    );
    switch (outcome.status) {
      case 'exists':
        throw new ConflictError(
          `${claudeConfigPath(data.kind, data.name)} already exists in project "${project.name}"; use updateClaudeConfigItem to change it.`,
          { id },
        );
      case 'missing':
        throw new NotFoundError('ClaudeConfigItem', id);
      case 'stale':
        throw stale(data.kind, data.name);
      case 'not-a-file':
        throw notAFile(project.name, data.kind, data.name, outcome.type);
    }
    let item = writtenItem(project.name, data.kind, data.name, bytes, data.content, parsed, outcome);
    if (layout.form === 'folder') {
      // The skill's folder listing comes from the workspace.
      const stored = await this.deps.files
        .read(target, layout, data.name, this.readLimits())
        .catch(() => null);
      if (stored?.files)
        item = { ...item, files: treeFiles(stored.files), filesTruncated: stored.filesTruncated };
    }
    await this.audit(caller, expect.mode === 'create' ? 'claude_config.create' : 'claude_config.update', id, {
      projectName: project.name,
      kind: data.kind,
      name: data.name,
      path: item.path,
      etag: item.etag,
      size: item.size,
      ...(expect.mode === 'replace' ? { ifMatch: expect.etag } : {}),
    });
    return item;
  }

  /** UTF-8 bytes of the content, refused when it is not text or larger than the limit. */
  private encode(content: string): Uint8Array {
    const nul = content.indexOf('\0');
    if (nul !== -1) {
      throw new ValidationError([
        { path: 'content', message: `must be text: it contains a NUL character (at position ${nul})` },
      ]);
    }
    if (UNPAIRED_SURROGATE.test(content)) {
      throw new ValidationError([
        { path: 'content', message: 'must be valid Unicode (it has an unpaired surrogate)' },
      ]);
    }
    const bytes = Buffer.from(content, 'utf8');
    const limit = this.deps.limits.maxFileBytes;
    if (bytes.length > limit) {
      throw new PayloadTooLargeError(
        `content is ${bytes.length} bytes of UTF-8; the limit is ${limit} bytes (RDEV_CLAUDE_CONFIG_MAX_BYTES).`,
        { size: bytes.length, limit },
      );
    }
    return bytes;
  }

  private async project(name: string): Promise<Project> {
    // The caller's grant was checked; reading config does not also need `projects:read`.
    const project = await this.deps.projects.find(SYSTEM, name);
    if (!project) throw new NotFoundError('Project', name);
    return project;
  }

  private readLimits(): ReadLimits {
    return {
      maxFileBytes: this.deps.limits.maxFileBytes,
      maxTotalBytes: this.deps.limits.listMaxBytes,
      maxTreeEntries: this.deps.limits.maxTreeEntries ?? 200,
    };
  }

  private audit(caller: Principal, action: string, id: string, details: Record<string, unknown>) {
    return this.deps.unitOfWork.run(({ audit }) =>
      audit.record({
        ...auditActor(caller),
        action,
        targetType: 'ClaudeConfigItem',
        targetId: id,
        outcome: 'SUCCESS',
        details,
      }),
    );
  }
}

function parseClaudeContentOrThrow(kind: ClaudeConfigKind, name: string, content: string) {
  const parsed = parseClaudeConfigDocument(kind, name, content);
  if (!parsed.ok) {
    throw new ValidationError([
      {
        path: 'content',
        message: `the frontmatter is not valid YAML: line ${parsed.line}: ${parsed.reason}`,
      },
    ]);
  }
  return parsed;
}

function stale(kind: ClaudeConfigKind, name: string): PreconditionFailedError {
  return new PreconditionFailedError(
    `${claudeConfigPath(kind, name)} changed since the version ifMatch names; read it again and retry with its current etag.`,
  );
}

function notAFile(
  projectName: string,
  kind: ClaudeConfigKind,
  name: string,
  type: 'symlink' | 'other',
): ConflictError {
  const path =
    claudeConfigLayout(kind).form === 'folder' ? `.claude/skills/${name}` : claudeConfigPath(kind, name);
  const what =
    type === 'symlink'
      ? 'is a symbolic link (or holds one where SKILL.md should be)'
      : 'is not a regular file';
  return new ConflictError(
    `${path} in project "${projectName}" ${what}; rdev does not write through links or replace folders. Fix it in the workspace.`,
    { reason: type, path },
  );
}
