// The "Load more" button under a cursor-paginated list.
export function LoadMore({ onLoadMore, loading }: { onLoadMore: () => void; loading: boolean }) {
  return (
    <div className="load-more">
      <button
        type="button"
        className="button button-secondary"
        onClick={onLoadMore}
        disabled={loading}
        aria-busy={loading}
      >
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
