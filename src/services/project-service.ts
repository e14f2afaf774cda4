import { z } from 'zod';
import { canAccessProject, requireProjectAccess, requireScope } from '../domain/authorization.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../domain/page.js';
import type { Principal } from '../domain/principal.js';
import {
  MAX_PROJECT_NAME_LENGTH,
  PROJECT_STATUSES,
  type Project,
  type ProjectConfigProblem,
  type ProjectEvent,
} from '../domain/project.js';
import type { ClaudeAvailability, ClaudeStatus } from '../engine/claude-availability.js';
import type { ProjectCatalog, ProjectCatalogStatus } from '../engine/project-catalog.js';
import { updateStream } from '../lib/project-update-stream.js';
import { inputErrorMessage } from './validation.js';

const nameInput = z.string().min(1).max(MAX_PROJECT_NAME_LENGTH);

const listInput = z.object({
  first: z.number().int().min(0).max(MAX_PAGE_SIZE).nullish(),
  after: z.string().max(200).nullish(),
  filter: z
    .object({
      status: z.enum(PROJECT_STATUSES).nullish(),
      /** `key` (the label is present) or `key=value`. */
      label: z.string().min(1).max(400).nullish(),
      namePrefix: z.string().max(MAX_PROJECT_NAME_LENGTH).nullish(),
    })
    .nullish(),
});

export type ListProjectsInput = z.input<typeof listInput>;

/** A page of projects, and whether the list behind it may be out of date. */
export interface ProjectPage extends Page<Project> {
  totalCount: number;
  stale: boolean;
}

/** Most events a project subscriber may fall behind before it is cut off. */
const MAX_BUFFERED_EVENTS = 500;

/**
 * Reading projects. Every method checks the caller first: the `projects:read` scope, and the
 * key's project grants. A key limited to some projects never learns that others exist: they are
 * absent from lists and events, and asking for one by name finds nothing.
 */
export class ProjectService {
  constructor(private readonly deps: { catalog: ProjectCatalog; claude?: ClaudeAvailability }) {}

  async list(principal: Principal | null, input: ListProjectsInput = {}): Promise<ProjectPage> {
    requireScope(principal, 'projects:read');
    const { first, after, filter } = parse(listInput, input);
    const view = await this.deps.catalog.list();
    const label = filter?.label ? parseLabelFilter(filter.label) : null;
    const matching = view.projects.filter(
      (p) =>
        canAccessProject(principal, p.name) &&
        (!filter?.status || p.status === filter.status) &&
        (!filter?.namePrefix || p.name.startsWith(filter.namePrefix)) &&
        (!label || (label.key in p.labels && (label.value === null || p.labels[label.key] === label.value))),
    );
    const afterName = after ? decodeCursor(after) : null;
    const rest = afterName === null ? matching : matching.filter((p) => p.name > afterName);
    const size = first ?? DEFAULT_PAGE_SIZE;
    const items = rest.slice(0, size);
    return {
      items,
      cursors: items.map((p) => encodeCursor(p.name)),
      hasNextPage: rest.length > size,
      totalCount: matching.length,
      stale: view.stale,
    };
  }

  /** One project, or `null` when it does not exist or the caller may not see it. */
  async find(principal: Principal | null, name: string): Promise<Project | null> {
    requireScope(principal, 'projects:read');
    const valid = parse(z.object({ name: nameInput }), { name }).name;
    if (!canAccessProject(principal, valid)) return null;
    return this.deps.catalog.get(valid);
  }

  /**
   * One project, for callers that need it to exist (the command subsystem asks as the system).
   * @throws NotFoundError when it does not exist or the caller may not see it.
   */
  async get(principal: Principal | null, name: string): Promise<Project> {
    requireScope(principal, 'projects:read');
    requireProjectAccess(principal, name);
    const project = await this.find(principal, name);
    if (!project) throw new NotFoundError('Project', name);
    return project;
  }

  /** Re-reads every project from the runtime now. Admin only. */
  async refresh(principal: Principal | null): Promise<Project[]> {
    requireScope(principal, 'admin');
    const projects = await this.deps.catalog.refresh();
    return projects.filter((p) => canAccessProject(principal, p.name));
  }

  /** How current the project list is; problems about projects the caller may not see are left out. */
  status(principal: Principal | null): ProjectCatalogStatus {
    requireScope(principal, 'projects:read');
    const status = this.deps.catalog.status();
    const unrestricted = principal.kind === 'system' || principal.projectNames === null;
    const visible = (p: ProjectConfigProblem) =>
      p.project === null ? unrestricted : canAccessProject(principal, p.project);
    return { ...status, problems: status.problems.filter(visible) };
  }

  /**
   * Whether the Claude Code CLI runs: the one check of the local runtime, or on Kubernetes each
   * project checked so far that the caller may see.
   */
  async claudeStatus(principal: Principal | null): Promise<ClaudeStatus[]> {
    requireScope(principal, 'projects:read');
    const statuses = (await this.deps.claude?.statuses()) ?? [];
    return statuses.filter((s) => s.projectName === null || canAccessProject(principal, s.projectName));
  }

  /**
   * Project events from now on, limited to projects the caller may see. Authorised here, when the
   * subscription starts.
   */
  updates(principal: Principal | null): AsyncIterableIterator<ProjectEvent> {
    requireScope(principal, 'projects:read');
    return updateStream<ProjectEvent>(
      (push) =>
        this.deps.catalog.subscribe((event) => {
          if (canAccessProject(principal, event.project.name)) push(event);
        }),
      MAX_BUFFERED_EVENTS,
    );
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { error: inputErrorMessage });
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}

function parseLabelFilter(text: string): { key: string; value: string | null } {
  const eq = text.indexOf('=');
  if (eq === -1) return { key: text.trim(), value: null };
  return { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() };
}

function encodeCursor(name: string): string {
  return Buffer.from(`project:${name}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('project:')) {
    throw new ValidationError([{ path: 'after', message: 'is not a cursor from this list' }]);
  }
  return text.slice('project:'.length);
}
