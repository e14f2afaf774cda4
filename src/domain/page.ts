/** Keyset pagination shared by every list: `after` is an opaque cursor from a previous page. */
export interface PageRequest {
  first: number;
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Cursor of each item, same order as `items`. */
  cursors: string[];
  hasNextPage: boolean;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
