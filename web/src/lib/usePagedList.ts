// A cursor-paged list for a component: the first page loads through useApi when the inputs
// change (stale requests cancelled), and "load more" appends the next page, skipping items
// already shown (a row can move between pages while the visitor reads).
import { type DependencyList, useEffect, useState } from 'react';
import type { Page } from '../api/types.ts';
import { useApi } from './useApi.ts';

export interface PagedList<T> {
  items: T[];
  setItems: (update: (current: T[]) => T[]) => void;
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  /** The last failure: of the first page (nothing to show) or of a "load more". */
  error: unknown;
  loadMore: () => Promise<void>;
  reload: () => void;
}

export function usePagedList<T extends { id: string }>(
  fetchPage: (cursor: string | undefined, signal?: AbortSignal) => Promise<Page<T>>,
  deps: DependencyList,
): PagedList<T> {
  const first = useApi<Page<T>>((signal) => fetchPage(undefined, signal), deps);
  const { data: page, setData: setPage } = first;
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);

  // A first page being (re)loaded starts over: an earlier "load more" failure no longer applies.
  useEffect(() => {
    if (first.loading) setMoreError(null);
  }, [first.loading]);

  async function loadMore() {
    const cursor = page?.nextCursor;
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const more = await fetchPage(cursor);
      setPage((current) =>
        current
          ? {
              data: [...current.data, ...more.data.filter((e) => !current.data.some((c) => c.id === e.id))],
              nextCursor: more.nextCursor,
            }
          : current,
      );
    } catch (err) {
      setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  }

  return {
    items: page?.data ?? [],
    setItems: (update) =>
      setPage((current) => (current ? { ...current, data: update(current.data) } : current)),
    nextCursor: page?.nextCursor ?? null,
    loading: first.loading,
    loadingMore,
    error: moreError ?? first.error,
    loadMore,
    reload: first.reload,
  };
}
