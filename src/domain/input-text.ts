/**
 * Text no input may carry. PostgreSQL refuses a NUL character in `text` and `jsonb` (the query
 * fails, and the caller got an internal error), and no name, script or filter needs one.
 * Every input is checked here once: by `parseInput` for services and by the GraphQL edge for
 * every argument, before anything reaches a store.
 */
const NUL = '\u0000';

/** The path of the first string inside `value` holding a NUL character (keys included), or null. */
export function findNul(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes(NUL)) return [...path, key];
      const found = findNul(inner, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

export const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';
