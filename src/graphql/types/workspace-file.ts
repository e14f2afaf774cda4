import { ValidationError } from '../../domain/errors.js';
import { MAX_PAGE_SIZE } from '../../domain/page.js';
import { WORKSPACE_FILE_KINDS, type WorkspaceFile, workspaceFileName } from '../../domain/workspace-file.js';
import { builder } from '../builder.js';
import { pageArgs } from '../connection.js';
import { describedValues } from '../described-values.js';
import { ProjectRef } from './project.js';

export const WorkspaceFileKindEnum = builder.enumType('WorkspaceFileKind', {
  description: 'What is found at a workspace path. Links are reported, never followed.',
  values: describedValues(WORKSPACE_FILE_KINDS, {
    FILE: 'A regular file.',
    DIRECTORY: 'A folder.',
    SYMLINK: 'A symbolic link; the file API neither follows nor reads through it.',
    OTHER: 'A FIFO, socket or device; never opened.',
  }),
});

const MAX_BYTES_DOC =
  'Largest file returned inline, at most 1048576 (the default); larger files give null. Read them over HTTP.';

export const WorkspaceFileRef = builder.objectRef<WorkspaceFile>('WorkspaceFile').implement({
  description:
    "A file, folder, link or other entry of a project's workspace, as found without following links.",
  fields: (t) => ({
    path: t.exposeString('path', {
      description: 'Relative to the workspace, `/`-separated and normalised; empty for the workspace itself.',
    }),
    name: t.string({ description: 'The last segment of `path`.', resolve: (f) => workspaceFileName(f.path) }),
    kind: t.field({ type: WorkspaceFileKindEnum, description: 'What the entry is.', resolve: (f) => f.kind }),
    size: t.float({ description: 'Bytes (of the link itself for a link).', resolve: (f) => f.size }),
    modifiedAt: t.expose('modifiedAt', { type: 'DateTime', description: 'When the entry last changed.' }),
    mode: t.exposeInt('mode', { description: 'Permission bits as a number, e.g. 420 for 0644.' }),
    etag: t.exposeString('etag', {
      nullable: true,
      description:
        'Regular files: changes with every write. Pass it as `ifMatch` to change only this version. Null for anything else.',
    }),
    text: t.string({
      nullable: true,
      authScopes: { scope: 'files:read' },
      description:
        'The content as UTF-8 text; null when it is not valid UTF-8 (or holds NUL) or is larger than `maxBytes`. Regular files only.',
      args: { maxBytes: t.arg.int({ required: false, description: MAX_BYTES_DOC }) },
      resolve: async (f, args, ctx) => {
        const bytes = await ctx.services.files.readInline(
          ctx.principal,
          f.projectName,
          f.path,
          args.maxBytes,
        );
        if (!bytes || bytes.includes(0)) return null;
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          return null;
        }
      },
    }),
    contentBase64: t.string({
      nullable: true,
      authScopes: { scope: 'files:read' },
      description: 'The content as base64; null when it is larger than `maxBytes`. Regular files only.',
      args: { maxBytes: t.arg.int({ required: false, description: MAX_BYTES_DOC }) },
      resolve: async (f, args, ctx) => {
        const bytes = await ctx.services.files.readInline(
          ctx.principal,
          f.projectName,
          f.path,
          args.maxBytes,
        );
        return bytes ? bytes.toString('base64') : null;
      },
    }),
  }),
});

interface FileConnectionExtras {
  truncated: boolean;
}

const WorkspaceFileConnection = builder.connectionObject({
  type: WorkspaceFileRef,
  name: 'WorkspaceFileConnection',
  description: 'One page of workspace entries, sorted by path.',
  fields: (t) => ({
    truncated: t.boolean({
      description:
        'True when the folder holds more entries than one listing looks at (10000); narrow the path.',
      resolve: (c) => (c as unknown as FileConnectionExtras).truncated,
    }),
  }),
});

builder.objectFields(ProjectRef, (t) => ({
  file: t.field({
    type: WorkspaceFileRef,
    nullable: true,
    authScopes: { scope: 'files:read' },
    description: 'The workspace entry at `path`, or null when there is none (needs `files:read`).',
    args: { path: t.arg.string({ required: true, description: 'Relative to the workspace.' }) },
    resolve: (project, args, ctx) => ctx.services.files.get(ctx.principal, project.name, args.path),
  }),
  files: t.field({
    type: WorkspaceFileConnection,
    authScopes: { scope: 'files:read' },
    description:
      'Entries of a workspace folder, sorted by path, without hidden paths (needs `files:read`). NOT_FOUND when the folder does not exist.',
    args: {
      path: t.arg.string({
        required: false,
        description: 'The folder, relative to the workspace; default the workspace.',
      }),
      recursive: t.arg.boolean({
        required: false,
        description: 'Also list everything below, not following links.',
      }),
      first: t.arg.int({
        required: false,
        description: `How many entries: 0 to ${MAX_PAGE_SIZE}, default 20.`,
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the entries after this cursor (`pageInfo.endCursor`).',
      }),
    },
    resolve: async (project, args, ctx) => {
      const page = pageArgs(args);
      const { files, truncated } = await ctx.services.files.list(
        ctx.principal,
        project.name,
        args.path ?? '',
        args.recursive ?? false,
      );
      const after = page.after === null ? null : decodeCursor(page.after);
      const start = after === null ? 0 : files.findIndex((f) => f.path > after);
      const rest = start === -1 ? [] : files.slice(start);
      const items = rest.slice(0, page.first);
      const edges = items.map((node) => ({ node, cursor: encodeCursor(node.path) }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rest.length > items.length,
          hasPreviousPage: page.after !== null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        truncated,
      };
    },
  }),
}));

function encodeCursor(path: string): string {
  return Buffer.from(`path:${path}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('path:'))
    throw new ValidationError([{ path: 'after', message: 'is not a cursor of this list' }]);
  return text.slice(5);
}
