import { ValidationError } from '../domain/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../domain/page.js';

/** `first`/`after` from Relay arguments, with `first` capped at 100. */
export function pageArgs(args: { first?: number | null; after?: string | null }) {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 0 || first > MAX_PAGE_SIZE) {
    throw new ValidationError([{ path: 'first', message: `must be between 0 and ${MAX_PAGE_SIZE}` }]);
  }
  return { first, after: args.after ?? null };
}

/** A store page as a Relay connection. */
export function toConnection<T>(page: Page<T>, after: string | null | undefined) {
  const edges: { node: T; cursor: string }[] = page.items.map((node, i) => ({
    node,
    cursor: page.cursors[i]!,
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
