import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import { hasScope, type Scope } from '../domain/scopes.js';
import type { GraphQLContext } from './context.js';

/** The one Pothos builder. Type files import it and register themselves; `schema.ts` only imports. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: { authenticated: boolean; scope: Scope };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscriptions are authorised when they start, not only when events arrive.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.principal !== null,
      scope: (wanted: Scope) =>
        ctx.principal?.kind === 'system' ||
        (ctx.principal?.kind === 'key' && hasScope(ctx.principal.scopes, wanted)),
    }),
    unauthorizedError: (_parent, ctx, _info, result) =>
      ctx.principal === null ? new UnauthenticatedError() : new ForbiddenError(result.message),
  },
  errors: { defaultTypes: [] },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // `node` and `nodes` are defined in types/node.ts: unknown ids resolve to null, lists are capped.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
