import { encodeGlobalID } from '@pothos/plugin-relay';
import type { ClaudeConfigItem } from '../../domain/claude-config.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  RuntimeUnavailableError,
  ValidationError,
} from '../../domain/errors.js';
import { builder } from '../builder.js';
import { ClaudeConfigItemRef, ClaudeConfigKindEnum } from './claude-config.js';

const CreateInput = builder.inputType('CreateClaudeConfigItemInput', {
  description: 'A new Claude Code command, skill or agent.',
  fields: (t) => ({
    projectName: t.string({ required: true, description: 'The project whose workspace holds the item.' }),
    kind: t.field({ type: ClaudeConfigKindEnum, required: true, description: 'Command, skill or agent.' }),
    name: t.string({
      required: true,
      description:
        'Lower-case letters, digits and "-", starting and ending with a letter or digit: 1–64 characters (agents 3–50).',
    }),
    content: t.string({
      required: true,
      description:
        'The whole file (UTF-8 text). YAML frontmatter must parse; rule problems are reported on the item.',
    }),
  }),
});
const UpdateInput = builder.inputType('UpdateClaudeConfigItemInput', {
  description: 'New content for an existing item.',
  fields: (t) => ({
    projectName: t.string({ required: true, description: 'The project whose workspace holds the item.' }),
    kind: t.field({ type: ClaudeConfigKindEnum, required: true, description: 'Command, skill or agent.' }),
    name: t.string({ required: true, description: 'The name of the item.' }),
    content: t.string({
      required: true,
      description: 'The whole new file (UTF-8 text); YAML frontmatter must parse.',
    }),
    ifMatch: t.string({
      required: false,
      description:
        'The etag last read: the change is refused (PRECONDITION_FAILED) if the item changed since.',
    }),
  }),
});
const DeleteInput = builder.inputType('DeleteClaudeConfigItemInput', {
  description: 'Which item to delete.',
  fields: (t) => ({
    projectName: t.string({ required: true, description: 'The project whose workspace holds the item.' }),
    kind: t.field({ type: ClaudeConfigKindEnum, required: true, description: 'Command, skill or agent.' }),
    name: t.string({ required: true, description: 'The name of the item.' }),
    ifMatch: t.string({
      required: false,
      description:
        'The etag last read: the delete is refused (PRECONDITION_FAILED) if the item changed since.',
    }),
  }),
});

const Payload = builder.objectRef<{ item: ClaudeConfigItem }>('ClaudeConfigItemPayload').implement({
  description: 'The item as saved, with any problems Claude Code would have with it.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'item' in value,
  fields: (t) => ({
    item: t.field({ type: ClaudeConfigItemRef, description: 'The item as saved.', resolve: (p) => p.item }),
  }),
});
const DeletePayload = builder.objectRef<{ deletedId: string }>('DeleteClaudeConfigItemPayload').implement({
  description: 'The item is gone.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'deletedId' in value,
  fields: (t) => ({
    deletedId: t.exposeID('deletedId', { description: 'The global id of the deleted item.' }),
  }),
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

// One union shared by create and update. Fields returning an error union turn the listed errors
// the service throws into members and let every other error through as a top-level error.
const ItemResult = builder.errorUnion('ClaudeConfigItemResult', {
  description: 'The saved item, or why it was not saved.',
  types: [Payload, ...expected],
});
const DeleteResult = builder.errorUnion('DeleteClaudeConfigItemResult', {
  description: 'The deleted id, or why the item was not deleted.',
  types: [DeletePayload, ...expected],
});

builder.mutationField('createClaudeConfigItem', (t) =>
  t.field({
    type: ItemResult,
    description:
      'Creates a command, skill or agent (scope `config:write`); CONFLICT when one of that name exists. Other errors: VALIDATION_FAILED, FORBIDDEN, NOT_FOUND (no such project), PAYLOAD_TOO_LARGE, RUNTIME_UNAVAILABLE.',
    args: { input: t.arg({ type: CreateInput, required: true, description: 'The new item.' }) },
    resolve: async (_root, { input }, ctx) => ({
      item: await ctx.services.claudeConfig.create(ctx.principal, input),
    }),
  }),
);

builder.mutationField('updateClaudeConfigItem', (t) =>
  t.field({
    type: ItemResult,
    description:
      "Replaces an item's content (scope `config:write`); NOT_FOUND when there is none, PRECONDITION_FAILED on a stale ifMatch. Other errors: VALIDATION_FAILED, FORBIDDEN, PAYLOAD_TOO_LARGE, RUNTIME_UNAVAILABLE.",
    args: {
      input: t.arg({ type: UpdateInput, required: true, description: 'The item and its new content.' }),
    },
    resolve: async (_root, { input }, ctx) => ({
      item: await ctx.services.claudeConfig.update(ctx.principal, input),
    }),
  }),
);

builder.mutationField('deleteClaudeConfigItem', (t) =>
  t.field({
    type: DeleteResult,
    description:
      "Deletes an item, a skill's whole folder (scope `config:write`). Errors: NOT_FOUND, PRECONDITION_FAILED on a stale ifMatch, FORBIDDEN, RUNTIME_UNAVAILABLE.",
    args: { input: t.arg({ type: DeleteInput, required: true, description: 'The item to delete.' }) },
    resolve: async (_root, { input }, ctx) => {
      const { id } = await ctx.services.claudeConfig.delete(ctx.principal, input);
      return { deletedId: encodeGlobalID('ClaudeConfigItem', id) };
    },
  }),
);
