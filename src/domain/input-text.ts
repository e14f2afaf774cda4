/**
 * Text no input may carry. PostgreSQL refuses a NUL character in `text` and `jsonb` (the query
 * fails, and the caller got an internal error), and no name, script or filter needs one.
 * Every input is checked here once: by `parseInput` for services and by the GraphQL edge for
 * every argument, before anything reaches a store.
 */
const NUL = '\u0000';

/**
 * The path of the first string inside `value` holding a NUL character (keys included), or null.
 * Walks with a stack of its own, not by recursion: a client's variables may nest as deep as a body
 * allows.
 */
export function findNul(value: unknown): string[] | null {
  interface Step {
    value: unknown;
    key: string | null;
    parent: Step | null;
  }
  const pathOf = (step: Step, last?: string) => {
    const path: string[] = last === undefined ? [] : [last];
    for (let s: Step | null = step; s?.key != null; s = s.parent) path.push(s.key);
    return path.reverse();
  };
  const pending: Step[] = [{ value, key: null, parent: null }];
  while (pending.length > 0) {
    const step = pending.pop()!;
    const next = step.value;
    if (typeof next === 'string') {
      if (next.includes(NUL)) return pathOf(step);
    } else if (Array.isArray(next)) {
      for (let i = next.length - 1; i >= 0; i--)
        pending.push({ value: next[i], key: String(i), parent: step });
    } else if (next !== null && typeof next === 'object' && !(next instanceof Date)) {
      const entries = Object.entries(next);
      for (const [key] of entries) if (key.includes(NUL)) return pathOf(step, key);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        pending.push({ value: inner, key, parent: step });
      }
    }
  }
  return null;
}

export const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';
