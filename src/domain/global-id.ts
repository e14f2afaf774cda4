import { NotFoundError } from './errors.js';
import { UUID_PATTERN as UUID } from './uuid.js';

/**
 * Global ids are the Relay form of an id: base64 of `Type:localId`, as the GraphQL API hands them
 * out. Webhooks, the legacy REST routes, audit rows and `rdev keys list` show the plain local id
 * instead, so every place that takes an id reads both forms through here.
 */

/** The shape of the local id inside each type's global ids. */
const LOCAL_ID_SHAPES: Record<string, RegExp> = {
  ApiKey: UUID,
  Command: UUID,
  Webhook: UUID,
  WebhookDelivery: UUID,
  Project: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
};

/** How each type is called in messages. */
const NOUNS: Record<string, string> = {
  ApiKey: 'an API key',
  Command: 'a command',
  Webhook: 'a webhook',
  WebhookDelivery: 'a webhook delivery',
  Project: 'a project',
};

const BASE64 = /^(?:[\d+/A-Za-z]{4})*(?:[\d+/A-Za-z]{2}==|[\d+/A-Za-z]{3}=)?$/;
const TYPENAME = /^[A-Z_a-z]\w*$/;

/** The global id of an object: the same text the GraphQL API shows as its `id`. */
export function encodeGlobalId(typename: string, id: string): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64');
}

/**
 * The type and local id a global id holds, or null when it holds nothing usable: not a global id,
 * an empty or NUL-laden local id, or one of the wrong shape for its type. An id of another shape
 * cannot name anything, and must not reach a query: PostgreSQL fails on a malformed uuid. Types
 * not listed (Claude Code items, whose ids their own parser reads) need only be free of NUL.
 */
export function decodeId(globalId: string): { typename: string; id: string } | null {
  if (!BASE64.test(globalId)) return null;
  const text = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const typename = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (!TYPENAME.test(typename)) return null;
  if (id.length === 0 || id.length > 1000 || id.includes('\u0000')) return null;
  const shape = Object.hasOwn(LOCAL_ID_SHAPES, typename) ? LOCAL_ID_SHAPES[typename] : undefined;
  return shape && !shape.test(id) ? null : { typename, id };
}

/**
 * The local id `text` names for an object of `typename`: its global id, or (for the types whose
 * local ids are UUIDs) the plain UUID as webhooks, audit rows and the CLI show it. A plain UUID is
 * taken to be of the expected type; a global id of another type names nothing here, and the
 * refusal says which type was expected and which was given.
 * @throws NotFoundError for anything else, before any query.
 */
export function localId(text: string, typename: string): string {
  const shape = Object.hasOwn(LOCAL_ID_SHAPES, typename) ? LOCAL_ID_SHAPES[typename] : undefined;
  if (shape === UUID && UUID.test(text)) return text.toLowerCase();
  const decoded = decodeId(text);
  if (decoded?.typename === typename) return decoded.id;
  const shown = text.replaceAll('\u0000', '\\u0000');
  const expected = NOUNS[typename] ?? `a ${typename}`;
  const plain = shape === UUID ? ' or its plain UUID' : '';
  const hint = decoded
    ? `it is the id of ${NOUNS[decoded.typename] ?? `a ${decoded.typename}`}, and ${expected} id is expected`
    : `expected ${expected} global id${plain}`;
  throw new NotFoundError(typename, shown, hint);
}
