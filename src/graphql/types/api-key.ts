import type { ApiKey } from '../../domain/api-key.js';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { localId } from '../../domain/global-id.js';
import type { KeyPrincipal } from '../../domain/principal.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { ScopeEnum } from './scope.js';

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey');

builder.node(ApiKeyRef, {
  description:
    'An API key. Its secret is never readable: it is shown once by the mutation that creates or rotates it.',
  id: { resolve: (key) => key.id, description: 'Global id; resolve it with `node(id:)`.' },
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
    uuid: t.exposeString('id', {
      description:
        'The plain id of the API key, as audit rows and `rdev keys list` show it. Arguments of type ID take it as well as the global `id`.',
    }),
    name: t.exposeString('name', { description: 'A name for people, to tell keys apart.' }),
    prefix: t.exposeString('prefix', {
      description: 'The first characters of the current secret, to recognise it.',
    }),
    scopes: t.field({ type: [ScopeEnum], description: 'What the key may do.', resolve: (k) => k.scopes }),
    projectNames: t.exposeStringList('projectNames', {
      nullable: true,
      description: 'The projects the key may use; null: every project.',
    }),
    allowedIps: t.exposeStringList('allowedIps', {
      description: 'Addresses or CIDR ranges the key may be used from; empty: any address.',
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'After this the key is refused; null: never expires.',
    }),
    rateLimit: t.exposeInt('rateLimit', {
      nullable: true,
      description: 'Rate-limit units per window; null for the server default.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was revoked; null while it works.',
    }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it last authenticated a request; updated at most about once a minute.',
    }),
    lastUsedIp: t.exposeString('lastUsedIp', {
      nullable: true,
      description: 'The address it was last used from.',
    }),
    createdBy: t.field({
      type: ApiKeyRef,
      nullable: true,
      description:
        'The key that created it; null when rdev itself created it or that key is not visible to you.',
      resolve: async (k, _args, ctx) =>
        k.createdByKeyId && ctx.principal
          ? ctx.services.apiKeys.get(ctx.principal, k.createdByKeyId).catch(() => null)
          : null,
    }),
  }),
});

const ApiKeyConnection = builder.connectionObject({
  type: ApiKeyRef,
  name: 'ApiKeyConnection',
  description: 'One page of API keys.',
});

builder.queryField('apiKeys', (t) =>
  t.field({
    type: ApiKeyConnection,
    description: 'The API keys (scope `keys:manage`). Secrets are never shown.',
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
      includeRevoked: t.arg.boolean({
        required: false,
        defaultValue: false,
        description: 'Also list revoked keys.',
      }),
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
    apiKey: t.field({
      type: ApiKeyRef,
      description: 'The stored key.',
      resolve: (v, _args, ctx) => ctx.services.apiKeys.self(v.principal),
    }),
    scopes: t.field({
      type: [ScopeEnum],
      description: 'The scopes enforced for this request.',
      resolve: (v) => [...v.principal.scopes],
    }),
    projectNames: t.stringList({
      nullable: true,
      description: 'The projects this request may use; null: every project.',
      resolve: (v) => v.principal.projectNames,
    }),
    clientIp: t.exposeString('clientIp', { description: 'The address rdev sees this request coming from.' }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description:
      'The API key making the request and what it may do. Needs a key; FORBIDDEN for other credentials.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => {
      if (ctx.principal?.kind !== 'key') throw new ForbiddenError('Only API keys have a viewer.');
      return { principal: ctx.principal, clientIp: ctx.clientIp };
    },
  }),
);

const ApiKeySecretPayload = (name: string) =>
  builder.objectRef<{ apiKey: ApiKey; secret: string }>(name).implement({
    description: 'The key and its new secret.',
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, description: 'The key.', resolve: (p) => p.apiKey }),
      secret: t.exposeString('secret', { description: 'The key text. Shown only here: store it now.' }),
    }),
  });
const ApiKeyPayload = (name: string) =>
  builder.objectRef<{ apiKey: ApiKey }>(name).implement({
    description: 'The key after the change.',
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyRef, description: 'The key.', resolve: (p) => p.apiKey }),
    }),
  });
const CreateApiKeyPayload = ApiKeySecretPayload('CreateApiKeyPayload');
const RotateApiKeyPayload = ApiKeySecretPayload('RotateApiKeyPayload');
const UpdateApiKeyPayload = ApiKeyPayload('UpdateApiKeyPayload');
const RevokeApiKeyPayload = ApiKeyPayload('RevokeApiKeyPayload');

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'A new API key.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'A name for people, to tell keys apart.' }),
    scopes: t.field({
      type: [ScopeEnum],
      required: true,
      description: 'What the key may do; at most your own scopes.',
    }),
    projectNames: t.stringList({
      required: false,
      description: 'Omit for every project (within your own grants).',
    }),
    allowedIps: t.stringList({
      required: false,
      description: 'Addresses or CIDR ranges, IPv4 or IPv6. Omit for any.',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'After this the key is refused; omit for never.',
    }),
    rateLimit: t.int({
      required: false,
      description: 'Rate-limit units per window; omit for the server default.',
    }),
  }),
});
const UpdateApiKeyInput = builder.inputType('UpdateApiKeyInput', {
  description: 'Changes to an API key; omitted fields stay as they are.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The key: its global id or its plain UUID.' }),
    name: t.string({ required: false, description: 'A new name.' }),
    scopes: t.field({
      type: [ScopeEnum],
      required: false,
      description: 'The new scopes, replacing the old ones.',
    }),
    projectNames: t.stringList({
      required: false,
      description: 'The new project list; null: every project.',
    }),
    allowedIps: t.stringList({
      required: false,
      description: 'The new addresses or CIDR ranges; empty: any.',
    }),
    expiresAt: t.field({ type: 'DateTime', required: false, description: 'The new expiry; null: never.' }),
    rateLimit: t.int({
      required: false,
      description: 'Rate-limit units per window; null: the server default.',
    }),
  }),
});
const RotateApiKeyInput = builder.inputType('RotateApiKeyInput', {
  description: 'Which key gets a new secret.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The key: its global id or its plain UUID.' }),
    gracePeriodSeconds: t.int({
      required: false,
      description:
        'How long the old secret keeps working, in seconds: default 86400, at most 604800, 0 to stop it at once.',
    }),
  }),
});
const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  description: 'Which key to revoke.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The key: its global id or its plain UUID.' }) }),
});

const errorTypes = [ValidationError, ForbiddenError, NotFoundError];

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreateApiKeyPayload,
    description:
      'Create an API key (scope `keys:manage`); its secret is in the answer only. A key cannot get scopes or projects its creator lacks (FORBIDDEN). Errors: VALIDATION_FAILED, FORBIDDEN.',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: 'The new key.' }) },
    errors: {
      types: [ValidationError, ForbiddenError],
      directResult: true,
      union: {
        name: 'CreateApiKeyResult',
        description: 'The new key and its secret, or why it was refused.',
      },
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
    description:
      'Change an API key (scope `keys:manage`); its secret stays the same. Errors: VALIDATION_FAILED, FORBIDDEN, NOT_FOUND.',
    args: {
      input: t.arg({ type: UpdateApiKeyInput, required: true, description: 'The key and its changes.' }),
    },
    errors: {
      types: errorTypes,
      directResult: true,
      union: { name: 'UpdateApiKeyResult', description: 'The changed key, or why the change was refused.' },
    },
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
    description:
      'Give an API key a new secret (scope `keys:manage`); the old one keeps working for `gracePeriodSeconds`. Errors: VALIDATION_FAILED, FORBIDDEN, NOT_FOUND.',
    args: { input: t.arg({ type: RotateApiKeyInput, required: true, description: 'The key to rotate.' }) },
    errors: {
      types: errorTypes,
      directResult: true,
      union: {
        name: 'RotateApiKeyResult',
        description: 'The key and its new secret, or why rotation was refused.',
      },
    },
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
    description:
      'Revoke an API key for good (scope `keys:manage`): it is refused from now on and open streams using it close. Errors: VALIDATION_FAILED, FORBIDDEN, NOT_FOUND.',
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true, description: 'The key to revoke.' }) },
    errors: {
      types: errorTypes,
      directResult: true,
      union: { name: 'RevokeApiKeyResult', description: 'The revoked key, or why it could not be revoked.' },
    },
    resolve: async (_root, { input }, ctx) => ({
      apiKey: await ctx.services.apiKeys.revoke(ctx.principal, localId(String(input.id), 'ApiKey')),
    }),
  }),
);
