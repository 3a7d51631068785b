// Keeps a resource fresh by re-fetching it on an interval while the tab is visible.
import { useEffect, useRef, useState } from 'react';
import { isAbort } from '../api/client.ts';

export interface PolledState<T> {
  data: T | null;
  /** The error of the first load (nothing to show yet). */
  error: unknown;
  /** True while refreshes fail after a successful first load (data may be stale). */
  stale: boolean;
  loading: boolean;
  setData: (data: T) => void;
}

export function usePolling<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  intervalMs: number,
): PolledState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [stale, setStale] = useState(false);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: key identifies the resource
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller = new AbortController();
    let hasData = false;
    let stopped = false;
    let inFlight = false;
    setData(null);
    setError(null);
    setStale(false);
    setLoading(true);

    // Each fetch waits for the previous one, so slow responses never pile up.
    async function tick() {
      controller = new AbortController();
      inFlight = true;
      try {
        const result = await loadRef.current(controller.signal);
        if (stopped) return;
        hasData = true;
        setData(result);
        setError(null);
        setStale(false);
      } catch (err) {
        if (stopped || isAbort(err)) return;
        if (hasData) setStale(true);
        else setError(err);
      } finally {
        inFlight = false;
        if (!stopped) setLoading(false);
      }
      schedule();
    }

    function schedule() {
      clearTimeout(timer);
      if (stopped || document.hidden) return;
      timer = setTimeout(tick, intervalMs);
    }

    function onVisibility() {
      if (!document.hidden && !stopped && !inFlight) {
        clearTimeout(timer);
        void tick();
      }
    }

    void tick();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, intervalMs]);

  return { data, error, stale, loading, setData };
}
