import { decodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError } from '../domain/errors.js';
import { UUID_PATTERN as UUID } from '../domain/uuid.js';

/**
 * The shape of the local id inside each type's global ids. An id of another shape cannot name
 * anything, and must not reach a query: PostgreSQL fails on a malformed uuid. Types not listed
 * (Claude Code items, whose ids their own parser reads) need only be free of NUL characters.
 */
const LOCAL_ID_SHAPES: Record<string, RegExp> = {
  ApiKey: UUID,
  Command: UUID,
  Webhook: UUID,
  WebhookDelivery: UUID,
  Project: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
};

/**
 * The type and local id a global id holds, or null when it holds nothing usable: not a global id,
 * an empty or NUL-laden local id, or one of the wrong shape for its type. Every id a client sends
 * is read through here, before any query.
 */
export function decodeId(globalId: string): { typename: string; id: string } | null {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    return null;
  }
  const { typename, id } = decoded;
  if (id.length === 0 || id.length > 1000 || id.includes('\u0000') || typename.includes('\u0000'))
    return null;
  const shape = Object.hasOwn(LOCAL_ID_SHAPES, typename) ? LOCAL_ID_SHAPES[typename] : undefined;
  return shape && !shape.test(id) ? null : { typename, id };
}

/** The local id inside a global ID of the expected type; anything else is simply not found. */
export function localId(globalId: string, typename: string): string {
  const decoded = decodeId(globalId);
  if (decoded?.typename === typename) return decoded.id;
  throw new NotFoundError(typename, globalId.replaceAll('\u0000', '\\u0000'));
}
