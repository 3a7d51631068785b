// The buyer's bookings, upcoming and past, with cancellation behind a confirmation step.
import { useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { bookings } from '../api/endpoints.ts';
import { ActionKey } from '../api/retry.ts';
import type { Booking, BookingStatus } from '../api/types.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { LoadMore } from '../components/LoadMore.tsx';
import { PageTitle } from '../components/PageTitle.tsx';
import { EmptyState, ErrorMessage, Loading, RetryableError } from '../components/Status.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { dateBadge, formatDateTime, formatMoney } from '../lib/format.ts';
import { usePagedList } from '../lib/usePagedList.ts';

type Scope = 'upcoming' | 'past';

const STATUS_LABEL: Record<BookingStatus, string> = {
  held: 'Awaiting payment',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

function BookingRow({ booking, onCancel }: { booking: Booking; onCancel: (b: Booking) => void }) {
  const badge = dateBadge(booking.event.startsAt);
  const cancellable =
    (booking.status === 'held' || booking.status === 'confirmed') &&
    Date.parse(booking.event.startsAt) > Date.now();
  return (
    <li className="booking-row" data-booking-id={booking.id}>
      <div className="date-badge" aria-hidden="true">
        <span className="date-month">{badge.month}</span>
        <span className="date-day">{badge.day}</span>
      </div>
      <div className="booking-row-body">
        <h2 className="booking-row-title">
          <Link to={`/bookings/${booking.id}`}>{booking.event.name}</Link>
        </h2>
        <p className="muted">
          <time dateTime={booking.event.startsAt}>{formatDateTime(booking.event.startsAt)}</time> ·{' '}
          {booking.event.venue.name}, {booking.event.venue.city}
        </p>
        <p className="booking-row-meta">
          <span className={`badge badge-status-${booking.status}`}>{STATUS_LABEL[booking.status]}</span>
          <span>
            {booking.quantity} {booking.quantity === 1 ? 'ticket' : 'tickets'}
          </span>
          <span>
            {booking.amountCents === 0 ? 'Free' : formatMoney(booking.amountCents, booking.currency)}
          </span>
        </p>
      </div>
      <div className="booking-row-actions">
        {booking.status === 'confirmed' && (
          <Link className="button button-secondary" to={`/bookings/${booking.id}`}>
            View tickets<span className="sr-only"> for {booking.event.name}</span>
          </Link>
        )}
        {booking.status === 'held' && (
          <Link className="button" to={`/bookings/${booking.id}`}>
            Complete payment<span className="sr-only"> for {booking.event.name}</span>
          </Link>
        )}
        {cancellable && (
          <button type="button" className="button button-ghost danger-text" onClick={() => onCancel(booking)}>
            Cancel booking<span className="sr-only"> for {booking.event.name}</span>
          </button>
        )}
      </div>
    </li>
  );
}

export function MyBookingsPage() {
  const [params, setParams] = useSearchParams();
  const scope: Scope = params.get('tab') === 'past' ? 'past' : 'upcoming';
  const [toCancel, setToCancel] = useState<Booking | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const cancelKey = useRef(new ActionKey());

  const { items, setItems, nextCursor, loading, loadingMore, error, loadMore, reload } =
    usePagedList<Booking>((cursor, signal) => bookings.list(scope, cursor, signal), [scope]);

  async function confirmCancel() {
    if (!toCancel) return;
    setCancelling(true);
    setCancelError(null);
    try {
      const cancelled = await cancelKey.current.send({ cancel: toCancel.id }, (key) =>
        bookings.cancel(toCancel.id, key),
      );
      setItems((current) => current.map((b) => (b.id === cancelled.id ? { ...b, ...cancelled } : b)));
      setStatus(`Your booking for ${toCancel.event.name} was cancelled.`);
      setToCancel(null);
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelling(false);
    }
  }

  return (
    <section className="page">
      <PageTitle title="My bookings" />
      <p className="sr-only" role="status">
        {status}
      </p>
      {status && (
        <div className="notice notice-success" aria-hidden="true">
          <p>{status}</p>
        </div>
      )}
      <Tabs
        label="Bookings"
        tabs={[
          { key: 'upcoming', label: 'Upcoming' },
          { key: 'past', label: 'Past' },
        ]}
        selected={scope}
        onSelect={(key) => {
          setStatus('');
          setParams(key === 'past' ? { tab: 'past' } : {});
        }}
      >
        {loading ? (
          <Loading label="Loading bookings…" />
        ) : error && items.length === 0 ? (
          <RetryableError error={error} onRetry={reload} />
        ) : items.length === 0 ? (
          <EmptyState title={scope === 'upcoming' ? 'No upcoming bookings' : 'No past bookings'}>
            <p className="muted">
              {scope === 'upcoming'
                ? 'When you book tickets they show up here.'
                : 'Events you went to will show up here.'}
            </p>
            {scope === 'upcoming' && (
              <Link className="button" to="/">
                Browse events
              </Link>
            )}
          </EmptyState>
        ) : (
          <>
            <ul className="booking-list">
              {items.map((booking) => (
                <BookingRow
                  key={booking.id}
                  booking={booking}
                  onCancel={(b) => {
                    setCancelError(null);
                    setToCancel(b);
                  }}
                />
              ))}
            </ul>
            {error ? <ErrorMessage error={error} /> : null}
            {nextCursor && <LoadMore onLoadMore={loadMore} loading={loadingMore} />}
          </>
        )}
      </Tabs>
      <ConfirmDialog
        open={toCancel !== null}
        title="Cancel this booking?"
        confirmLabel="Yes, cancel booking"
        cancelLabel="Keep booking"
        danger
        busy={cancelling}
        onConfirm={confirmCancel}
        onClose={() => setToCancel(null)}
      >
        {toCancel && (
          <p>
            {toCancel.quantity} {toCancel.quantity === 1 ? 'ticket' : 'tickets'} for{' '}
            <strong>{toCancel.event.name}</strong> will be released
            {toCancel.status === 'confirmed' ? ' and the payment refunded' : ''}. This cannot be undone.
          </p>
        )}
        <ErrorMessage error={cancelError} />
      </ConfirmDialog>
    </section>
  );
}
