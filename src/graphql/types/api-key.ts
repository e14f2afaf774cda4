import type { ApiKey } from '../../domain/api-key.js';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.js';
import type { KeyPrincipal } from '../../domain/principal.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { localId } from '../global-id.js';
import { ScopeEnum } from './scope.js';

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey');

builder.node(ApiKeyRef, {
  description:
    'An API key. Its secret is never readable: it is shown once by the mutation that creates or rotates it.',
  id: { resolve: (key) => key.id },
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'prefix' in value && 'scopes' in value,
  loadOne: async (id, ctx) => {
    if (!ctx.principal) return null;
    try {
      return await ctx.services.apiKeys.get(ctx.principal, id);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  },
  fields: (t) => ({
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', {
      description: 'The first characters of the current secret, to recognise it.',
    }),
    scopes: t.field({ type: [ScopeEnum], resolve: (k) => k.scopes }),
    projectNames: t.exposeStringList('projectNames', { nullable: true, description: 'Null: every project.' }),
    allowedIps: t.exposeStringList('allowedIps', { description: 'Empty: any address.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    rateLimit: t.exposeInt('rateLimit', {
      nullable: true,
      description: 'Rate-limit units per window; null for the server default.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Updated at most about once a minute.',
    }),
    lastUsedIp: t.exposeString('lastUsedIp', { nullable: true }),
    createdBy: t.field({
      type: ApiKeyRef,
      nullable: true,
      resolve: async (k, _args, ctx) =>
        k.createdByKeyId && ctx.principal
          ? ctx.services.apiKeys.get(ctx.principal, k.createdByKeyId).catch(() => null)
          : null,
    }),
  }),
});

const ApiKeyConnection = builder.connectionObject({ type: ApiKeyRef, name: 'ApiKeyConnection' });

builder.queryField('apiKeys', (t) =>
  t.field({
    type: ApiKeyConnection,
    authScopes: { scope: 'keys:manage' },
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      includeRevoked: t.arg.boolean({ required: false, defaultValue: false }),
    },
    resolve: async (_root, args, ctx) => {
      const page = pageArgs(args);
      return toConnection(
        await ctx.services.apiKeys.list(ctx.principal!, { includeRevoked: args.includeRevoked }, page),
        page.after,
      );
    },
  }),
);

// Scopes and projects come from the credential this request was authenticated with (what is
// enforced for it); the stored key is read only when `apiKey` is asked for, so the common
// `viewer { scopes }` costs no database query.
const ViewerRef = builder.objectRef<{ principal: KeyPrincipal; clientIp: string }>('Viewer').implement({
  description: 'The API key making the request.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (v, _args, ctx) => ctx.services.apiKeys.self(v.principal) }),
    scopes: t.field({ type: [ScopeEnum], resolve: (v) => [...v.principal.scopes] }),
    projectNames: t.stringList({ nullable: true, resolve: (v) => v.principal.projectNames }),
    clientIp: t.exposeString('clientIp', { description: 'The address rdev sees this request coming from.' }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => {
      if (ctx.principal?.kind !== 'key') throw new ForbiddenError('Only API keys have a viewer.');
      return { principal: ctx.principal, clientIp: ctx.clientIp };
    },
  }),
);

const ApiKeySecretPayload = (name: string) =>
  builder.objectRef<{ apiKey: ApiKey; secret: string }>(name).implement({
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, resolve: (p) => p.apiKey }),
      secret: t.exposeString('secret', { description: 'The key text. Shown only here: store it now.' }),
    }),
  });
const ApiKeyPayload = (name: string) =>
  builder.objectRef<{ apiKey: ApiKey }>(name).implement({
    fields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, resolve: (p) => p.apiKey }) }),
  });
const CreateApiKeyPayload = ApiKeySecretPayload('CreateApiKeyPayload');
const RotateApiKeyPayload = ApiKeySecretPayload('RotateApiKeyPayload');
const UpdateApiKeyPayload = ApiKeyPayload('UpdateApiKeyPayload');
const RevokeApiKeyPayload = ApiKeyPayload('RevokeApiKeyPayload');

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({ type: [ScopeEnum], required: true }),
    projectNames: t.stringList({
      required: false,
      description: 'Omit for every project (within your own grants).',
    }),
    allowedIps: t.stringList({
      required: false,
      description: 'Addresses or CIDR ranges, IPv4 or IPv6. Omit for any.',
    }),
    expiresAt: t.field({ type: 'DateTime', required: false }),
    rateLimit: t.int({
      required: false,
      description: 'Rate-limit units per window; omit for the server default.',
    }),
  }),
});
const UpdateApiKeyInput = builder.inputType('UpdateApiKeyInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ required: false }),
    scopes: t.field({ type: [ScopeEnum], required: false }),
    projectNames: t.stringList({ required: false }),
    allowedIps: t.stringList({ required: false }),
    expiresAt: t.field({ type: 'DateTime', required: false }),
    rateLimit: t.int({ required: false }),
  }),
});
const RotateApiKeyInput = builder.inputType('RotateApiKeyInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    gracePeriodSeconds: t.int({ required: false, description: 'How long the old secret keeps working.' }),
  }),
});
const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const errorTypes = [ValidationError, ForbiddenError, NotFoundError];

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreateApiKeyPayload,
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    errors: {
      types: [ValidationError, ForbiddenError],
      directResult: true,
      union: { name: 'CreateApiKeyResult' },
    },
    resolve: (_root, { input }, ctx) =>
      ctx.services.apiKeys.create(ctx.principal, {
        name: input.name,
        scopes: input.scopes,
        projectNames: input.projectNames ?? null,
        allowedIps: input.allowedIps ?? [],
        expiresAt: input.expiresAt ?? null,
        rateLimit: input.rateLimit ?? null,
      }),
  }),
);

builder.mutationField('updateApiKey', (t) =>
  t.field({
    type: UpdateApiKeyPayload,
    args: { input: t.arg({ type: UpdateApiKeyInput, required: true }) },
    errors: { types: errorTypes, directResult: true, union: { name: 'UpdateApiKeyResult' } },
    resolve: async (_root, { input }, ctx) => {
      const apiKey = await ctx.services.apiKeys.update(ctx.principal, {
        id: localId(String(input.id), 'ApiKey'),
        ...(input.name != null ? { name: input.name } : {}),
        ...(input.scopes != null ? { scopes: input.scopes } : {}),
        ...(input.projectNames !== undefined ? { projectNames: input.projectNames } : {}),
        ...(input.allowedIps != null ? { allowedIps: input.allowedIps } : {}),
        ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
        ...(input.rateLimit !== undefined ? { rateLimit: input.rateLimit } : {}),
      });
      return { apiKey };
    },
  }),
);

builder.mutationField('rotateApiKey', (t) =>
  t.field({
    type: RotateApiKeyPayload,
    args: { input: t.arg({ type: RotateApiKeyInput, required: true }) },
    errors: { types: errorTypes, directResult: true, union: { name: 'RotateApiKeyResult' } },
    resolve: (_root, { input }, ctx) =>
      ctx.services.apiKeys.rotate(ctx.principal, {
        id: localId(String(input.id), 'ApiKey'),
        gracePeriodSeconds: input.gracePeriodSeconds,
      }),
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.field({
    type: RevokeApiKeyPayload,
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    errors: { types: errorTypes, directResult: true, union: { name: 'RevokeApiKeyResult' } },
    resolve: async (_root, { input }, ctx) => ({
      apiKey: await ctx.services.apiKeys.revoke(ctx.principal, localId(String(input.id), 'ApiKey')),
    }),
  }),
);
