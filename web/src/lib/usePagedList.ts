// A cursor-paged list for a component: the first page loads when the inputs change (stale
// requests cancelled, as in useApi), and "load more" appends the next page, skipping items
// already shown (a row can move between pages while the visitor reads).
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { isAbort } from '../api/client.ts';
import type { Page } from '../api/types.ts';

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
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    fetchRef
      .current(undefined, controller.signal)
      .then((page) => {
        if (controller.signal.aborted) return;
        setItems(page.data);
        setNextCursor(page.nextCursor);
      })
      .catch((err: unknown) => {
        if (!isAbort(err) && !controller.signal.aborted) setError(err);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [...deps, generation]);

  async function loadMore() {
    if (!nextCursor) return;
    setLoadingMore(true);
    setError(null);
    try {
      const page = await fetchRef.current(nextCursor);
      setItems((current) => [...current, ...page.data.filter((e) => !current.some((c) => c.id === e.id))]);
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  }

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { items, setItems, nextCursor, loading, loadingMore, error, loadMore, reload };
}
