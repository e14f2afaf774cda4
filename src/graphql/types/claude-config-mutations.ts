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
  fields: (t) => ({
    projectName: t.string({ required: true }),
    kind: t.field({ type: ClaudeConfigKindEnum, required: true }),
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
  fields: (t) => ({
    projectName: t.string({ required: true }),
    kind: t.field({ type: ClaudeConfigKindEnum, required: true }),
    name: t.string({ required: true }),
    content: t.string({ required: true }),
    ifMatch: t.string({
      required: false,
      description:
        'The etag last read: the change is refused (PRECONDITION_FAILED) if the item changed since.',
    }),
  }),
});
const DeleteInput = builder.inputType('DeleteClaudeConfigItemInput', {
  fields: (t) => ({
    projectName: t.string({ required: true }),
    kind: t.field({ type: ClaudeConfigKindEnum, required: true }),
    name: t.string({ required: true }),
    ifMatch: t.string({ required: false }),
  }),
});

const Payload = builder.objectRef<{ item: ClaudeConfigItem }>('ClaudeConfigItemPayload').implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'item' in value,
  fields: (t) => ({ item: t.field({ type: ClaudeConfigItemRef, resolve: (p) => p.item }) }),
});
const DeletePayload = builder.objectRef<{ deletedId: string }>('DeleteClaudeConfigItemPayload').implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'deletedId' in value,
  fields: (t) => ({ deletedId: t.exposeID('deletedId') }),
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
const ItemResult = builder.errorUnion('ClaudeConfigItemResult', { types: [Payload, ...expected] });
const DeleteResult = builder.errorUnion('DeleteClaudeConfigItemResult', {
  types: [DeletePayload, ...expected],
});

builder.mutationField('createClaudeConfigItem', (t) =>
  t.field({
    type: ItemResult,
    description: 'Creates a command, skill or agent; CONFLICT when one of that name exists.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      item: await ctx.services.claudeConfig.create(ctx.principal, input),
    }),
  }),
);

builder.mutationField('updateClaudeConfigItem', (t) =>
  t.field({
    type: ItemResult,
    description:
      "Replaces an item's content; NOT_FOUND when there is none, PRECONDITION_FAILED on a stale ifMatch.",
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      item: await ctx.services.claudeConfig.update(ctx.principal, input),
    }),
  }),
);

builder.mutationField('deleteClaudeConfigItem', (t) =>
  t.field({
    type: DeleteResult,
    description: "Deletes an item (a skill's whole folder).",
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { id } = await ctx.services.claudeConfig.delete(ctx.principal, input);
      return { deletedId: encodeGlobalID('ClaudeConfigItem', id) };
    },
  }),
);
