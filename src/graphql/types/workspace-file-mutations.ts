import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
} from '../../domain/errors.js';
import type { WorkspaceFile } from '../../domain/workspace-file.js';
import { builder } from '../builder.js';
import { WorkspaceFileRef } from './workspace-file.js';

const PROJECT = 'The project whose workspace holds the file.';
const IF_MATCH =
  'The etag last read: the change is refused (PRECONDITION_FAILED) if the file changed since, or NOT_FOUND if it is gone.';

const WriteInput = builder.inputType('WriteFileInput', {
  description:
    'Content for a workspace file; give exactly one of `text` and `contentBase64` (at most 1 MiB).',
  fields: (t) => ({
    projectName: t.string({ required: true, description: PROJECT }),
    path: t.string({ required: true, description: 'Relative to the workspace.' }),
    text: t.string({ required: false, description: 'The whole content as UTF-8 text.' }),
    contentBase64: t.string({
      required: false,
      description: 'The whole content as base64 (for binary files).',
    }),
    ifMatch: t.string({ required: false, description: IF_MATCH }),
    createParents: t.boolean({
      required: false,
      description: 'Create missing parent folders (default false).',
    }),
    executable: t.boolean({
      required: false,
      description:
        'Set (true) or clear (false) the execute bits; default: keep a replaced file’s mode, 0644 for new ones.',
    }),
  }),
});
const DeleteInput = builder.inputType('DeleteFileInput', {
  description: 'Which workspace entry to delete.',
  fields: (t) => ({
    projectName: t.string({ required: true, description: PROJECT }),
    path: t.string({ required: true, description: 'Relative to the workspace.' }),
    ifMatch: t.string({ required: false, description: IF_MATCH }),
    recursive: t.boolean({ required: false, description: 'Delete a non-empty folder with its contents.' }),
  }),
});
const MoveInput = builder.inputType('MoveFileInput', {
  description: 'A rename within one workspace.',
  fields: (t) => ({
    projectName: t.string({ required: true, description: PROJECT }),
    from: t.string({ required: true, description: 'The entry to move, relative to the workspace.' }),
    to: t.string({ required: true, description: 'Its new path; the parent folder must exist.' }),
    ifMatch: t.string({ required: false, description: IF_MATCH }),
    overwrite: t.boolean({
      required: false,
      description: 'Replace what is at `to` (default false: CONFLICT).',
    }),
  }),
});
const DirectoryInput = builder.inputType('CreateDirectoryInput', {
  description: 'A folder to create, with any missing parents.',
  fields: (t) => ({
    projectName: t.string({ required: true, description: PROJECT }),
    path: t.string({ required: true, description: 'Relative to the workspace.' }),
  }),
});

const filePayload = (name: string, description: string) =>
  builder.objectRef<{ file: WorkspaceFile }>(name).implement({
    description,
    isTypeOf: (value) => typeof value === 'object' && value !== null && 'file' in value,
    fields: (t) => ({
      file: t.field({
        type: WorkspaceFileRef,
        description: 'The entry as it is now.',
        resolve: (p) => p.file,
      }),
    }),
  });
const WritePayload = filePayload('WriteFilePayload', 'The file as written.');
const MovePayload = filePayload('MoveFilePayload', 'The entry at its new path.');
const DirectoryPayload = filePayload('CreateDirectoryPayload', 'The new folder.');
const DeletePayload = builder.objectRef<{ path: string }>('DeleteFilePayload').implement({
  description: 'The entry is gone.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'path' in value && !('file' in value),
  fields: (t) => ({ path: t.exposeString('path', { description: 'The normalised path that was deleted.' }) }),
});

const expected = [
  ValidationError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  PreconditionFailedError,
  PayloadTooLargeError,
  RuntimeUnavailableError,
];
const ERRORS =
  'Errors: VALIDATION_FAILED (path), FORBIDDEN (scope, hidden or read-only path, links, special or hard-linked files), NOT_FOUND, CONFLICT, PRECONDITION_FAILED (stale ifMatch), PAYLOAD_TOO_LARGE, RUNTIME_UNAVAILABLE.';

const WriteResult = builder.errorUnion('WriteFileResult', {
  description: 'The written file, or why nothing was written.',
  types: [WritePayload, ...expected],
});
const DeleteResult = builder.errorUnion('DeleteFileResult', {
  description: 'The deleted path, or why nothing was deleted.',
  types: [DeletePayload, ...expected],
});
const MoveResult = builder.errorUnion('MoveFileResult', {
  description: 'The moved entry, or why nothing moved.',
  types: [MovePayload, ...expected],
});
const DirectoryResult = builder.errorUnion('CreateDirectoryResult', {
  description: 'The new folder, or why none was made.',
  types: [DirectoryPayload, ...expected],
});

builder.mutationField('writeFile', (t) =>
  t.field({
    type: WriteResult,
    description: `Writes a workspace file atomically (temporary file, then rename; scope \`files:write\`). ${ERRORS}`,
    args: { input: t.arg({ type: WriteInput, required: true, description: 'The file and its content.' }) },
    resolve: async (_root, { input }, ctx) => ({
      file: await ctx.services.files.write(ctx.principal, input),
    }),
  }),
);
builder.mutationField('deleteFile', (t) =>
  t.field({
    type: DeleteResult,
    description: `Deletes a file, link or folder (scope \`files:write\`). ${ERRORS}`,
    args: { input: t.arg({ type: DeleteInput, required: true, description: 'The entry to delete.' }) },
    resolve: (_root, { input }, ctx) => ctx.services.files.delete(ctx.principal, input),
  }),
);
builder.mutationField('moveFile', (t) =>
  t.field({
    type: MoveResult,
    description: `Moves or renames an entry within the workspace (scope \`files:write\`). ${ERRORS}`,
    args: { input: t.arg({ type: MoveInput, required: true, description: 'From where to where.' }) },
    resolve: async (_root, { input }, ctx) => ({ file: await ctx.services.files.move(ctx.principal, input) }),
  }),
);
builder.mutationField('createDirectory', (t) =>
  t.field({
    type: DirectoryResult,
    description: `Creates a folder and its missing parents (scope \`files:write\`); CONFLICT when something is there. ${ERRORS}`,
    args: { input: t.arg({ type: DirectoryInput, required: true, description: 'The folder to create.' }) },
    resolve: async (_root, { input }, ctx) => ({
      file: await ctx.services.files.createDirectory(ctx.principal, input),
    }),
  }),
);
