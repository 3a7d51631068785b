// One event: details, ticket types with live availability, and the reserve step.
import { type FormEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { bookings, events } from '../api/endpoints.ts';
import { ActionKey, waitMessage } from '../api/retry.ts';
import type { EventItem, TicketType } from '../api/types.ts';
import { useAuth } from '../auth/AuthContext.tsx';
import { AvailabilityBadge } from '../components/EventCard.tsx';
import { PageTitle } from '../components/PageTitle.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { dateBadge, formatDateTime, formatDateTimeRange, formatMoney } from '../lib/format.ts';
import { usePolling } from '../lib/usePolling.ts';

const POLL_MS = 2000;

function bookableReason(event: EventItem): string | null {
  if (event.status === 'cancelled') return 'This event was cancelled. Bookings are closed.';
  if (event.status === 'draft') return 'This event is not on sale yet.';
  if (new Date(event.startsAt).getTime() <= Date.now())
    return 'This event has already started. Bookings are closed.';
  return null;
}

function QuantityStepper({
  value,
  max,
  onChange,
}: {
  value: number;
  max: number;
  onChange: (n: number) => void;
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Quantity</label>
      <div className="stepper">
        <button
          type="button"
          className="stepper-button"
          onClick={() => onChange(Math.max(1, value - 1))}
          disabled={value <= 1}
          aria-label="One ticket fewer"
        >
          −
        </button>
        <input
          id={id}
          type="number"
          inputMode="numeric"
          min={1}
          max={Math.max(1, max)}
          value={value}
          aria-describedby={hintId}
          onChange={(e) => {
            const n = Number.parseInt(e.target.value, 10);
            onChange(Number.isNaN(n) ? 1 : Math.min(Math.max(1, n), Math.max(1, max)));
          }}
        />
        <button
          type="button"
          className="stepper-button"
          onClick={() => onChange(Math.min(max, value + 1))}
          disabled={value >= max}
          aria-label="One ticket more"
        >
          +
        </button>
      </div>
      <p id={hintId} className="hint">
        Up to {Math.max(1, max)} {max === 1 ? 'ticket' : 'tickets'} in this order.
      </p>
    </div>
  );
}

function TicketOption({
  ticket,
  checked,
  disabled,
  onSelect,
}: {
  ticket: TicketType;
  checked: boolean;
  disabled: boolean;
  onSelect: () => void;
}) {
  const soldOut = ticket.available <= 0;
  return (
    <label className={`ticket-option${checked ? ' selected' : ''}${soldOut ? ' sold-out' : ''}`}>
      <input
        type="radio"
        name="ticketType"
        value={ticket.id}
        checked={checked}
        disabled={disabled || soldOut}
        onChange={onSelect}
      />
      <span className="ticket-option-name">{ticket.name}</span>
      <span className="ticket-option-price">
        {ticket.priceCents === 0 ? 'Free' : formatMoney(ticket.priceCents, ticket.currency)}
      </span>
      <span className={soldOut ? 'ticket-option-left sold' : 'ticket-option-left'}>
        {soldOut ? 'Sold out' : `${ticket.available} of ${ticket.capacity} left`}
      </span>
    </label>
  );
}

export function EventPage() {
  const { id = '' } = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const { user, isAdmin } = useAuth();
  const { data: event, error, stale, loading } = usePolling((signal) => events.get(id, signal), id, POLL_MS);

  const [ticketTypeId, setTicketTypeId] = useState<string | null>(search.get('ticketType'));
  const [quantity, setQuantity] = useState(() =>
    Math.max(1, Number.parseInt(search.get('quantity') ?? '1', 10) || 1),
  );
  const [submitting, setSubmitting] = useState(false);
  const [reserveError, setReserveError] = useState<unknown>(null);
  const [waitNote, setWaitNote] = useState<string | null>(null);
  // One key per reservation attempt: a retry after a lost answer replays it instead of holding twice.
  const reserveKey = useRef(new ActionKey());

  const selected = useMemo(
    () => event?.ticketTypes.find((t) => t.id === ticketTypeId) ?? null,
    [event, ticketTypeId],
  );

  // Pick a sensible ticket type once the event arrives, and move off one that just sold out.
  useEffect(() => {
    if (!event) return;
    if (selected && selected.available > 0) return;
    const firstAvailable = event.ticketTypes.find((t) => t.available > 0);
    if (firstAvailable && firstAvailable.id !== ticketTypeId) setTicketTypeId(firstAvailable.id);
  }, [event, selected, ticketTypeId]);

  const maxQuantity = selected
    ? Math.max(1, Math.min(selected.available, event?.maxTicketsPerUser ?? 10))
    : 1;
  useEffect(() => {
    if (quantity > maxQuantity) setQuantity(maxQuantity);
  }, [quantity, maxQuantity]);

  if (loading && !event) return <Loading label="Loading event…" />;
  if (!event) {
    return (
      <section className="page narrow">
        <PageTitle title="Event unavailable" />
        <ErrorMessage error={error} action={<Link to="/">Back to all events</Link>} />
      </section>
    );
  }

  const closedReason = bookableReason(event);
  const soldOut = event.available <= 0;
  const canReserve = !closedReason && !soldOut && selected !== null && selected.available > 0;
  const total = selected ? selected.priceCents * quantity : 0;
  const badge = dateBadge(event.startsAt);

  async function onReserve(e: FormEvent) {
    e.preventDefault();
    if (!selected || !event) return;
    if (!user) {
      const next = `${location.pathname}?ticketType=${selected.id}&quantity=${quantity}`;
      navigate(`/login?next=${encodeURIComponent(next)}`);
      return;
    }
    setSubmitting(true);
    setReserveError(null);
    const body = { eventId: event.id, ticketTypeId: selected.id, quantity };
    try {
      const booking = await reserveKey.current.send(body, (key) => bookings.create(body, key), {
        onWait: (seconds, networkFailed) => setWaitNote(waitMessage(seconds, networkFailed)),
      });
      navigate(`/bookings/${booking.id}`, { state: { booking } });
    } catch (err) {
      setReserveError(err);
      setSubmitting(false);
    } finally {
      setWaitNote(null);
    }
  }

  return (
    <article className="page event-page">
      <p className="breadcrumb">
        <Link to="/">← All events</Link>
      </p>
      <div className="event-layout">
        <div className="event-main">
          <header className="event-header">
            <div className="date-badge large" aria-hidden="true">
              <span className="date-month">{badge.month}</span>
              <span className="date-day">{badge.day}</span>
            </div>
            <div>
              {event.category && <p className="eyebrow">{event.category}</p>}
              <PageTitle title={event.name} />
              <div className="event-header-meta">
                <AvailabilityBadge event={event} />
                {isAdmin && (
                  <Link
                    className="button button-secondary button-small"
                    to={`/admin/events/${event.id}/edit`}
                  >
                    Edit event
                  </Link>
                )}
              </div>
            </div>
          </header>
          <dl className="facts">
            <div>
              <dt>When</dt>
              <dd>
                <time dateTime={event.startsAt}>
                  {event.endsAt
                    ? formatDateTimeRange(event.startsAt, event.endsAt)
                    : formatDateTime(event.startsAt)}
                </time>
              </dd>
            </div>
            <div>
              <dt>Where</dt>
              <dd>
                {event.venue.name}, {event.venue.city}
                {event.venue.address ? <span className="muted block">{event.venue.address}</span> : null}
              </dd>
            </div>
          </dl>
          {event.description && (
            <section aria-labelledby="about-heading" className="about">
              <h2 id="about-heading">About this event</h2>
              {event.description.split(/\n{2,}/).map((paragraph) => (
                <p key={paragraph}>{paragraph}</p>
              ))}
            </section>
          )}
        </div>

        <aside className="event-aside" aria-labelledby="tickets-heading">
          <form className="card reserve-card" onSubmit={onReserve}>
            <h2 id="tickets-heading">Tickets</h2>
            {closedReason ? (
              <div className="notice notice-warning" role="status">
                <p>{closedReason}</p>
              </div>
            ) : soldOut ? (
              <div className="notice notice-soldout" role="status">
                <p>
                  <strong>Sold out.</strong> Every ticket for this event is taken. Tickets released from
                  expired holds show up here automatically.
                </p>
              </div>
            ) : null}
            <fieldset className="ticket-options" disabled={Boolean(closedReason)}>
              <legend className="sr-only">Ticket type</legend>
              {event.ticketTypes.map((ticket) => (
                <TicketOption
                  key={ticket.id}
                  ticket={ticket}
                  checked={ticket.id === selected?.id}
                  disabled={Boolean(closedReason)}
                  onSelect={() => setTicketTypeId(ticket.id)}
                />
              ))}
            </fieldset>
            <p className="live-note muted">
              <span className={stale ? 'live-dot offline' : 'live-dot'} aria-hidden="true" />
              {stale ? 'Reconnecting… availability may be out of date.' : 'Availability updates live.'}
            </p>
            {canReserve && (
              <>
                <QuantityStepper value={quantity} max={maxQuantity} onChange={setQuantity} />
                <p className="total">
                  <span>Total</span>
                  <strong>{total === 0 ? 'Free' : formatMoney(total, selected.currency)}</strong>
                </p>
              </>
            )}
            <ErrorMessage error={reserveError} />
            {waitNote && (
              <p className="notice notice-info" role="status">
                {waitNote}
              </p>
            )}
            <button
              type="submit"
              className="button button-block button-large"
              disabled={!canReserve || submitting}
              aria-busy={submitting}
            >
              {soldOut
                ? 'Sold out'
                : submitting
                  ? 'Reserving…'
                  : user
                    ? `Reserve ${quantity} ${quantity === 1 ? 'ticket' : 'tickets'}`
                    : 'Log in to reserve'}
            </button>
            {canReserve && (
              <p className="hint center">
                We hold your tickets for{' '}
                {Math.round(event.holdTtlSeconds / 60) >= 1
                  ? `${Math.round(event.holdTtlSeconds / 60)} min`
                  : `${event.holdTtlSeconds} s`}{' '}
                while you pay.
              </p>
            )}
          </form>
        </aside>
      </div>
    </article>
  );
}
