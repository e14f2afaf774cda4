import { type GraphQLResolveInfo, isObjectType } from 'graphql';
import { ValidationError } from '../../domain/errors.js';
import { decodeId } from '../../domain/global-id.js';
import { builder } from '../builder.js';

/** Most ids one `nodes` call looks up: each is a lookup, so a 1 MB list would be thousands. */
export const MAX_NODES_PER_CALL = 100;

/**
 * The type and local id an id points to, or null when it points nowhere: not a global id, or a
 * type that is not a Node. Like an unknown or hidden object, such an id simply resolves to null;
 * the relay plugin's own decoding would fail the field with an internal error instead.
 */
function nodeTarget(raw: string, info: GraphQLResolveInfo): { type: string; id: string } | null {
  const decoded = decodeId(raw);
  if (!decoded) return null;
  const type = info.schema.getType(decoded.typename);
  if (!isObjectType(type) || !type.getInterfaces().some((i) => i.name === 'Node')) return null;
  return { type: decoded.typename, id: decoded.id };
}

builder.queryField('node', (t) =>
  t.node({
    description:
      'The object with this global id; null when the id is malformed, unknown, or not visible to the key.',
    args: { id: t.arg.id({ required: true, description: 'A global id.' }) },
    id: (_root, args, _ctx, info) => nodeTarget(String(args.id), info),
  }),
);

builder.queryField('nodes', (t) =>
  t.nodeList({
    description:
      'The objects with these global ids, in order; null for each id that leads nowhere. At most 100 ids per call, else VALIDATION_FAILED.',
    args: { ids: t.arg.idList({ required: true, description: 'Global ids, at most 100.' }) },
    ids: (_root, args, _ctx, info) => {
      if (args.ids.length > MAX_NODES_PER_CALL) {
        throw new ValidationError([
          { path: 'ids', message: `at most ${MAX_NODES_PER_CALL} ids per call; ask in several calls` },
        ]);
      }
      return args.ids.map((id) => nodeTarget(String(id), info));
    },
  }),
);
