import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/api';
import type { Page } from './api/types';

export interface Paged<T> {
  rows: T[];
  hasMore: boolean;
  loading: boolean;
  error: ApiError | null;
  more(): void;
  reload(): void;
}

/** A cursor connection read page by page, each appended; reloads from the first page when `deps` change. */
export function usePaged<T>(loadPage: (after: string | null) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const generation = useRef(0);

  const read = (after: string | null, previous: T[]) => {
    const mine = ++generation.current;
    setLoading(true);
    loadPage(after).then(
      (page) => {
        if (mine !== generation.current) return;
        setRows([...previous, ...page.items]);
        setCursor(page.pageInfo.endCursor);
        setHasMore(page.pageInfo.hasNextPage);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        setError(e instanceof ApiError ? e : new ApiError('ERROR', String(e)));
        setLoading(false);
      },
    );
  };
  const reload = useCallback(() => read(null, []), deps);
  useEffect(reload, [reload]);
  return { rows, hasMore, loading, error, more: () => read(cursor, rows), reload };
}
