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
    nodeTypeOptions: {
      description: 'An object with a global id, which `node(id:)` and `nodes(ids:)` resolve.',
    },
    idFieldOptions: { description: 'Global id: opaque and stable; resolve it with `node(id:)`.' },
    // Descriptions for the Relay plumbing every connection shares, shown in GraphiQL's Docs pane.
    edgesFieldOptions: {
      nullable: false,
      description: 'The items of this page, in order, each with its cursor.',
    },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    cursorFieldOptions: {
      description: 'Opaque position of this item; pass it as `after` to get the items that follow it.',
    },
    pageInfoFieldOptions: { description: 'Whether more items follow, and the cursors of this page.' },
    pageInfoTypeOptions: { description: 'Where a page sits in the whole list (Relay cursor pagination).' },
    hasNextPageFieldOptions: { description: 'True when more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'True when this page was asked for with an `after` cursor.' },
    startCursorFieldOptions: {
      description: 'Cursor of the first item of this page; null when the page is empty.',
    },
    endCursorFieldOptions: {
      description:
        'Cursor of the last item of this page; pass it as `after` for the next page. Null when empty.',
    },
    firstArgOptions: {
      description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
    },
    afterArgOptions: { description: 'Return the items after this cursor (an `endCursor` or edge `cursor`).' },
    beforeArgOptions: { description: 'Not supported: pages only go forward; use `after`.' },
    lastArgOptions: { description: 'Not supported: pages only go forward; use `first`.' },
    defaultConnectionTypeOptions: { description: 'One page of a list (Relay connection).' },
    defaultEdgeTypeOptions: { description: 'One item of a page and its cursor.' },
    // `node` and `nodes` are defined in types/node.ts: unknown ids resolve to null, lists are capped.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);

builder.queryType({ description: 'Reads. Each field says the scope it needs; `serverInfo` needs no key.' });
builder.mutationType({
  description:
    'Changes. Each takes one `input` and returns a union of its payload and the errors to expect (`... on Error { code message }`); other errors arrive in the top-level `errors` list.',
});
builder.subscriptionType({
  description: 'Live streams over graphql-ws or GraphQL over SSE at `/graphql`.',
});
