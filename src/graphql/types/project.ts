import { DomainError, RuntimeUnavailableError } from '../../domain/errors.js';
import { PROJECT_STATUSES, type Project } from '../../domain/project.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { describedValues } from '../described-values.js';
import { CommandTypeEnum } from './command-type.js';

export const ProjectStatusEnum = builder.enumType('ProjectStatus', {
  values: describedValues(PROJECT_STATUSES, {
    RUNNING: 'The workspace accepts commands.',
    PENDING: 'Its pod is scheduled or starting.',
    FAILED: 'Its pod stopped.',
    UNKNOWN: 'Its pod is missing, being deleted, or out of contact.',
  }),
  description:
    'RUNNING: the workspace accepts commands. PENDING: its pod is scheduled or starting. FAILED: its pod stopped. UNKNOWN: its pod is missing, being deleted, or out of contact.',
});

/** Other capabilities add fields to Project with `builder.objectField(ProjectRef, ...)`. */
export const ProjectRef = builder.objectRef<Project>('Project');

builder.node(ProjectRef, {
  description:
    'A workspace where commands run: a pod found by label, or a folder under the workspaces folder.',
  id: { resolve: (p) => p.name, description: 'Global id; resolve it with `node(id:)`.' },
  isTypeOf: (value) =>
    typeof value === 'object' && value !== null && 'workspacePath' in value && 'allowedCommandTypes' in value,
  loadOne: async (name, ctx) => {
    try {
      return await ctx.services.projects.find(ctx.principal, name);
    } catch (error) {
      // Unknown, not granted, or no scope: the id leads nowhere, as for any missing node.
      if (error instanceof DomainError && !(error instanceof RuntimeUnavailableError)) return null;
      throw error;
    }
  },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The unique project name that commands and grants use.' }),
    description: t.exposeString('description', {
      nullable: true,
      description: 'A free-text description from the project settings.',
    }),
    status: t.field({
      type: ProjectStatusEnum,
      description: 'Whether the workspace accepts commands.',
      resolve: (p) => p.status,
    }),
    workspacePath: t.exposeString('workspacePath', {
      description: 'Absolute path of the workspace, inside the pod or on the rdev host.',
    }),
    podName: t.exposeString('podName', {
      nullable: true,
      description: 'The Kubernetes pod; null for a local folder.',
    }),
    namespace: t.exposeString('namespace', {
      nullable: true,
      description: 'The Kubernetes namespace; null for a local folder.',
    }),
    labels: t.field({
      type: 'JSON',
      resolve: (p) => p.labels,
      description: 'The pod labels; empty for a folder.',
    }),
    allowedCommandTypes: t.field({
      type: [CommandTypeEnum],
      description: 'The command types its policy allows; others are COMMAND_NOT_ALLOWED.',
      resolve: (p) => [...p.allowedCommandTypes],
    }),
    maxConcurrentCommands: t.exposeInt('maxConcurrentCommands', {
      description: 'How many of its commands run at once, across all replicas; the rest wait QUEUED.',
    }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      description: 'When rdev last saw it in the runtime.',
    }),
    warnings: t.exposeStringList('warnings', {
      description: 'Problems with this project’s settings or discovery, for an operator to fix.',
    }),
  }),
});

const ProjectFilter = builder.inputType('ProjectFilter', {
  description: 'Narrows the project list; the conditions all apply.',
  fields: (t) => ({
    status: t.field({
      type: ProjectStatusEnum,
      required: false,
      description: 'Only projects in this status.',
    }),
    label: t.string({
      required: false,
      description: 'Only projects with this pod label: `key` (label present) or `key=value`.',
    }),
    namePrefix: t.string({ required: false, description: 'Only projects whose name starts with this.' }),
  }),
});

interface ProjectConnectionExtras {
  totalCount: number;
  stale: boolean;
}

const ProjectConnection = builder.connectionObject({
  type: ProjectRef,
  name: 'ProjectConnection',
  description: 'One page of projects, with the total and whether the list is current.',
  fields: (t) => ({
    totalCount: t.int({
      resolve: (c) => (c as unknown as ProjectConnectionExtras).totalCount,
      description: 'Projects matching the filter, on all pages.',
    }),
    stale: t.boolean({
      resolve: (c) => (c as unknown as ProjectConnectionExtras).stale,
      description: 'True when the runtime cannot be read right now and this is the last list seen.',
    }),
  }),
});

builder.queryField('projects', (t) =>
  t.field({
    type: ProjectConnection,
    description:
      'The projects the key may see (scope `projects:read`; keys with project grants see only those).',
    authScopes: { scope: 'projects:read' },
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      filter: t.arg({ type: ProjectFilter, required: false, description: 'Which projects to list.' }),
    },
    resolve: async (_root, args, ctx) => {
      const page = pageArgs(args);
      const result = await ctx.services.projects.list(ctx.principal, { ...page, filter: args.filter });
      return { ...toConnection(result, page.after), totalCount: result.totalCount, stale: result.stale };
    },
  }),
);

builder.queryField('project', (t) =>
  t.field({
    type: ProjectRef,
    nullable: true,
    authScopes: { scope: 'projects:read' },
    description: 'One project by name (scope `projects:read`).',
    args: { name: t.arg.string({ required: true, description: 'The project name.' }) },
    resolve: (_root, args, ctx) => ctx.services.projects.find(ctx.principal, args.name),
  }),
);

builder.mutationField('refreshProjects', (t) =>
  t.field({
    type: [ProjectRef],
    authScopes: { scope: 'admin' },
    description:
      'Reads every project from the runtime now instead of waiting for the next change or resync. Admin only.',
    resolve: (_root, _args, ctx) => ctx.services.projects.refresh(ctx.principal),
  }),
);
