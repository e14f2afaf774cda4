/** Cursor paging as the API offers it: the next page is appended below. */
export function LoadMore({
  hasMore,
  loading,
  onMore,
}: {
  hasMore: boolean;
  loading: boolean;
  onMore(): void;
}) {
  if (!hasMore) return null;
  return (
    <p class="load-more">
      <button type="button" class="button" disabled={loading} onClick={onMore}>
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </p>
  );
}
