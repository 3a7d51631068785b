// Organiser overview: upcoming events with sales at a glance, edit and cancel.
import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { ApiError, isAbort } from '../../api/client.ts';
import { admin, events } from '../../api/endpoints.ts';
import type { CurrencyRevenue, EventItem, EventStats } from '../../api/types.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { EmptyState, ErrorMessage, Loading } from '../../components/Status.tsx';
import { formatDateTime, formatMoney, formatPercent, formatRevenue } from '../../lib/format.ts';

function SalesBar({ sold, held, capacity }: { sold: number; held: number; capacity: number }) {
  const soldPct = capacity > 0 ? (sold / capacity) * 100 : 0;
  const heldPct = capacity > 0 ? (held / capacity) * 100 : 0;
  return (
    <div className="sales">
      <div className="sales-bar" aria-hidden="true">
        <span className="sales-sold" style={{ width: `${soldPct}%` }} />
        <span className="sales-held" style={{ width: `${heldPct}%` }} />
      </div>
      <span className="sales-text">
        {sold} / {capacity} sold{held > 0 ? `, ${held} held` : ''}
      </span>
    </div>
  );
}

const STATUS_LABEL: Record<EventItem['status'], string> = {
  draft: 'Draft',
  published: 'Published',
  cancelled: 'Cancelled',
};

/** Revenue per currency; nothing sold yet reads as zero in the event's own currency. */
function revenueOf(event: EventItem, revenues: CurrencyRevenue[]): string {
  if (revenues.length > 0) return formatRevenue(revenues);
  return formatMoney(0, event.ticketTypes[0]?.currency ?? 'USD');
}

export function AdminEventsPage() {
  const location = useLocation();
  const navState = location.state as { flash?: string; saved?: EventItem } | null;
  const flash = navState?.flash ?? '';
  const justSaved = navState?.saved;
  const [items, setItems] = useState<EventItem[]>([]);
  const [stats, setStats] = useState<Record<string, EventStats | 'error'>>({});
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [toCancel, setToCancel] = useState<EventItem | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [status, setStatus] = useState(flash);
  const [params, setParams] = useSearchParams();
  const statusFilter = (params.get('status') ?? '') as EventItem['status'] | '';
  const showPast = params.get('past') === '1';
  // One "now" per visit, so paging does not shift as time passes.
  const [since] = useState(() => new Date().toISOString());
  const [complete, setComplete] = useState(true);

  const loadStats = useCallback((list: EventItem[], signal?: AbortSignal) => {
    for (const event of list) {
      admin
        .stats(event.id, signal)
        .then((s) => setStats((current) => ({ ...current, [event.id]: s })))
        .catch((err: unknown) => {
          if (!isAbort(err)) setStats((current) => ({ ...current, [event.id]: 'error' }));
        });
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: fetchPage reads the filters listed here
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    fetchPage(undefined, controller.signal)
      .then(({ page, complete }) => {
        // A save just happened: show the event exactly as saved (the public list may lag).
        const list = justSaved ? page.data.map((e) => (e.id === justSaved.id ? justSaved : e)) : page.data;
        if (!complete && justSaved?.status === 'published' && !list.some((e) => e.id === justSaved.id)) {
          list.unshift(justSaved);
        }
        setComplete(complete);
        setItems(list);
        setNextCursor(page.nextCursor);
        loadStats(list, controller.signal);
      })
      .catch((err: unknown) => {
        if (!isAbort(err)) setError(err);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [loadStats, justSaved, statusFilter, showPast]);

  /** The admin list (every status); a server without it falls back to the public list. */
  async function fetchPage(cursor: string | undefined, signal?: AbortSignal) {
    try {
      const filters = {
        limit: 50,
        cursor,
        status: statusFilter || undefined,
        from: showPast ? undefined : since,
      };
      return { page: await admin.listEvents(filters, signal), complete: true };
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
      return { page: await events.list({ limit: 50, cursor }, signal), complete: false };
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    setLoadingMore(true);
    try {
      const { page } = await fetchPage(nextCursor);
      const fresh = page.data.filter((e) => !items.some((c) => c.id === e.id));
      setItems((current) => [...current, ...fresh]);
      setNextCursor(page.nextCursor);
      loadStats(fresh);
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  }

  function setFilter(key: 'status' | 'past', value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }

  async function confirmCancel() {
    if (!toCancel) return;
    setCancelling(true);
    setCancelError(null);
    try {
      const cancelled = await admin.cancelEvent(toCancel.id);
      setItems((current) => current.map((e) => (e.id === cancelled.id ? cancelled : e)));
      loadStats([cancelled]);
      setStatus(`${cancelled.name} was cancelled. Its bookings were cancelled and refunded.`);
      setToCancel(null);
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelling(false);
    }
  }

  return (
    <section className="page">
      <div className="page-header">
        <div>
          <PageTitle title="Manage events" />
          <p className="muted">
            {complete
              ? 'Your events and how they are selling.'
              : 'Published upcoming events and how they are selling.'}
          </p>
        </div>
        <div className="page-header-actions">
          <Link className="button button-secondary" to="/admin/analytics">
            Analytics
          </Link>
          <Link className="button" to="/admin/events/new">
            New event
          </Link>
        </div>
      </div>
      <p className="sr-only" role="status">
        {status}
      </p>
      {status && (
        <div className="notice notice-success" aria-hidden="true">
          <p>{status}</p>
        </div>
      )}
      {complete && (
        <form className="filter-bar" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="admin-status">Status</label>
            <select
              id="admin-status"
              value={statusFilter}
              onChange={(e) => setFilter('status', e.target.value)}
            >
              <option value="">All statuses</option>
              <option value="published">Published</option>
              <option value="draft">Draft</option>
              <option value="cancelled">Cancelled</option>
            </select>
          </div>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={showPast}
              onChange={(e) => setFilter('past', e.target.checked ? '1' : '')}
            />
            Include past events
          </label>
        </form>
      )}
      {loading ? (
        <Loading label="Loading events…" />
      ) : error && items.length === 0 ? (
        <ErrorMessage error={error} />
      ) : items.length === 0 ? (
        <EmptyState title={statusFilter || showPast ? 'No events match these filters' : 'No upcoming events'}>
          <p className="muted">Create your first event to put tickets on sale.</p>
          <Link className="button" to="/admin/events/new">
            New event
          </Link>
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="admin-table">
              <caption className="sr-only">Events with ticket sales</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Date</th>
                  <th scope="col">Sales</th>
                  <th scope="col">Revenue</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((event) => {
                  const s = stats[event.id];
                  return (
                    <tr key={event.id}>
                      <th scope="row" data-label="Event">
                        {/* Drafts have no public page: their name leads to the editor. */}
                        <Link
                          to={
                            event.status === 'draft'
                              ? `/admin/events/${event.id}/edit`
                              : `/events/${event.id}`
                          }
                        >
                          {event.name}
                        </Link>
                        <span className="muted block">
                          {event.venue.name}, {event.venue.city}
                        </span>
                        {event.status !== 'published' && (
                          <span className={`badge badge-status-${event.status}`}>
                            {STATUS_LABEL[event.status]}
                          </span>
                        )}
                      </th>
                      <td data-label="Date">
                        <time dateTime={event.startsAt}>{formatDateTime(event.startsAt)}</time>
                      </td>
                      <td data-label="Sales">
                        {s === undefined ? (
                          <span className="muted">Loading…</span>
                        ) : s === 'error' ? (
                          <SalesBar
                            sold={event.capacity - event.available}
                            held={0}
                            capacity={event.capacity}
                          />
                        ) : (
                          <>
                            <SalesBar sold={s.sold} held={s.held} capacity={s.capacity} />
                            <span className="muted small">{formatPercent(s.utilization)} used</span>
                          </>
                        )}
                      </td>
                      <td data-label="Revenue">
                        {s && s !== 'error' ? (
                          revenueOf(event, s.revenueByCurrency)
                        ) : (
                          <span className="muted">–</span>
                        )}
                      </td>
                      <td className="row-actions">
                        <Link
                          className="button button-secondary button-small"
                          to={`/admin/events/${event.id}/edit`}
                        >
                          Edit<span className="sr-only"> {event.name}</span>
                        </Link>
                        {event.status !== 'cancelled' && (
                          <button
                            type="button"
                            className="button button-ghost button-small danger-text"
                            onClick={() => {
                              setCancelError(null);
                              setToCancel(event);
                            }}
                          >
                            Cancel<span className="sr-only"> {event.name}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {error ? <ErrorMessage error={error} /> : null}
          {nextCursor && <LoadMore onLoadMore={loadMore} loading={loadingMore} />}
        </>
      )}
      <ConfirmDialog
        open={toCancel !== null}
        title="Cancel this event?"
        confirmLabel="Yes, cancel event"
        cancelLabel="Keep event"
        danger
        busy={cancelling}
        onConfirm={confirmCancel}
        onClose={() => setToCancel(null)}
      >
        {toCancel && (
          <p>
            <strong>{toCancel.name}</strong> will be cancelled. Every held or confirmed booking is cancelled
            and refunded, and buyers can no longer book. This cannot be undone.
          </p>
        )}
        <ErrorMessage error={cancelError} />
      </ConfirmDialog>
    </section>
  );
}
