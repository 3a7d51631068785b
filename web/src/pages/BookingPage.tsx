// One booking: the hold countdown and payment while held, the tickets once confirmed.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError } from '../api/client.ts';
import { bookings } from '../api/endpoints.ts';
import { ActionKey, waitMessage } from '../api/retry.ts';
import type { Booking } from '../api/types.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Countdown, useSecondsLeft } from '../components/Countdown.tsx';
import { PageTitle } from '../components/PageTitle.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { TicketCard } from '../components/TicketQr.tsx';
import { formatDateTime, formatMoney } from '../lib/format.ts';
import { useApi } from '../lib/useApi.ts';

const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa test card', hint: 'Always succeeds' },
  {
    token: 'tok_chargeDeclined',
    label: 'Declined test card',
    hint: 'Always declined, to try the error path',
  },
] as const;

function restartLink(booking: Booking): string {
  return `/events/${booking.eventId}?ticketType=${encodeURIComponent(booking.ticketTypeId)}&quantity=${booking.quantity}`;
}

function Summary({ booking }: { booking: Booking }) {
  return (
    <dl className="summary">
      <div>
        <dt>Event</dt>
        <dd>
          <Link to={`/events/${booking.eventId}`}>{booking.event.name}</Link>
        </dd>
      </div>
      <div>
        <dt>When</dt>
        <dd>
          <time dateTime={booking.event.startsAt}>{formatDateTime(booking.event.startsAt)}</time>
        </dd>
      </div>
      <div>
        <dt>Where</dt>
        <dd>
          {booking.event.venue.name}, {booking.event.venue.city}
        </dd>
      </div>
      <div>
        <dt>Tickets</dt>
        <dd>{booking.quantity}</dd>
      </div>
      <div className="summary-total">
        <dt>Total</dt>
        <dd>{booking.amountCents === 0 ? 'Free' : formatMoney(booking.amountCents, booking.currency)}</dd>
      </div>
    </dl>
  );
}

function PaymentForm({
  booking,
  onPaid,
  onExpired,
}: {
  booking: Booking;
  onPaid: (booking: Booking) => void;
  onExpired: () => void;
}) {
  const [token, setToken] = useState<string>(TEST_CARDS[0].token);
  const [paying, setPaying] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [waitNote, setWaitNote] = useState<string | null>(null);
  // One key per payment attempt: paying again after a lost answer replays it, never charges twice.
  const payKey = useRef(new ActionKey());

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setPaying(true);
    setError(null);
    try {
      const paid = await payKey.current.send(
        { booking: booking.id, token },
        (key) => bookings.confirm(booking.id, token, key),
        { onWait: (seconds, networkFailed) => setWaitNote(waitMessage(seconds, networkFailed)) },
      );
      onPaid(paid);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'HOLD_EXPIRED') onExpired();
      else setError(err);
      setPaying(false);
    } finally {
      setWaitNote(null);
    }
  }

  return (
    <form className="card pay-card" onSubmit={onSubmit} aria-labelledby="pay-heading">
      <h2 id="pay-heading">Pay</h2>
      <div className="notice notice-info">
        <p>
          <strong>Test mode.</strong> No real card is charged. Use the test token <code>tok_visa</code> for a
          payment that succeeds, or <code>tok_chargeDeclined</code> to see a declined card.
        </p>
      </div>
      <fieldset className="card-options">
        <legend>Test card</legend>
        {TEST_CARDS.map((card) => (
          <label key={card.token} className={token === card.token ? 'card-option selected' : 'card-option'}>
            <input
              type="radio"
              name="paymentToken"
              value={card.token}
              checked={token === card.token}
              onChange={() => setToken(card.token)}
            />
            <span className="card-option-label">
              {card.label} <code>{card.token}</code>
            </span>
            <span className="hint">{card.hint}</span>
          </label>
        ))}
      </fieldset>
      <ErrorMessage error={error} />
      {waitNote && (
        <p className="notice notice-info" role="status">
          {waitNote}
        </p>
      )}
      <button type="submit" className="button button-block button-large" disabled={paying} aria-busy={paying}>
        {paying
          ? 'Paying…'
          : `Pay ${booking.amountCents === 0 ? '' : formatMoney(booking.amountCents, booking.currency)}`.trim()}
      </button>
    </form>
  );
}

export function BookingPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const passed = (location.state as { booking?: Booking } | null)?.booking;
  const initial = passed && passed.id === id ? passed : null;
  // The booking just created on the event page arrives in router state: show it without a round trip.
  const usedInitial = useRef(false);
  const { data, error, loading, reload, setData } = useApi<Booking>(
    (signal) => {
      if (initial && !usedInitial.current) {
        usedInitial.current = true;
        return Promise.resolve(initial);
      }
      return bookings.get(id, signal);
    },
    [id],
  );
  const booking = data;
  const [lapsed, setLapsed] = useState(false);
  const [status, setStatus] = useState('');
  const [cancelOpen, setCancelOpen] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const cancelKey = useRef(new ActionKey());
  const headingRef = useRef<HTMLDivElement>(null);

  const secondsLeft = useSecondsLeft(booking?.status === 'held' ? booking.expiresAt : null);
  const holdTotal =
    booking?.expiresAt && booking.createdAt
      ? Math.max(1, (Date.parse(booking.expiresAt) - Date.parse(booking.createdAt)) / 1000)
      : 1;

  // The hold ran out on the page: stop offering payment, then ask the server for the final word.
  useEffect(() => {
    if (booking?.status === 'held' && secondsLeft === 0 && !lapsed) {
      setLapsed(true);
      reload();
    }
  }, [booking?.status, secondsLeft, lapsed, reload]);

  if (loading && !booking) return <Loading label="Loading your booking…" />;
  if (!booking) {
    return (
      <section className="page narrow">
        <PageTitle title="Booking unavailable" />
        <ErrorMessage error={error} action={<Link to="/bookings">Go to my bookings</Link>} />
      </section>
    );
  }

  const expired =
    booking.status === 'expired' || (booking.status === 'held' && (lapsed || secondsLeft === 0));

  function onPaid(paid: Booking) {
    setData(paid);
    setStatus('Payment successful. Your tickets are ready.');
    requestAnimationFrame(() => headingRef.current?.querySelector<HTMLElement>('h1')?.focus());
  }

  async function onCancelHold() {
    if (!booking) return;
    setCancelling(true);
    setCancelError(null);
    try {
      setData(
        await cancelKey.current.send({ cancel: booking.id }, (key) => bookings.cancel(booking.id, key)),
      );
      setCancelOpen(false);
      setStatus('Your hold was released.');
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelling(false);
    }
  }

  return (
    <section className="page booking-page">
      <p className="sr-only" role="status">
        {status}
      </p>
      {booking.status === 'confirmed' ? (
        <>
          <div ref={headingRef} className="success-banner">
            <svg aria-hidden="true" viewBox="0 0 24 24" width="32" height="32">
              <circle cx="12" cy="12" r="11" fill="currentColor" />
              <path
                d="m7 12.5 3.2 3.2L17 9"
                fill="none"
                stroke="#fff"
                strokeWidth="2.2"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
            <div>
              <PageTitle title="You're going!" />
              <p>
                {booking.quantity === 1 ? 'Your ticket is' : `Your ${booking.quantity} tickets are`} below.
                Show the QR code at the entrance. You can find {booking.quantity === 1 ? 'it' : 'them'} again
                in <Link to="/bookings">My bookings</Link>.
              </p>
            </div>
          </div>
          <div className="booking-layout">
            <div>
              <h2>Your tickets</h2>
              <ul className="ticket-list">
                {booking.tickets.map((ticket, index) => (
                  <TicketCard key={ticket.code} ticket={ticket} booking={booking} index={index} />
                ))}
              </ul>
            </div>
            <aside className="card" aria-labelledby="order-heading">
              <h2 id="order-heading">Order</h2>
              <Summary booking={booking} />
            </aside>
          </div>
        </>
      ) : expired ? (
        <div className="narrow">
          <PageTitle title="Your hold lapsed" />
          <div className="notice notice-warning" role="alert">
            <p>
              <strong>Your hold has expired.</strong> We held these tickets for a limited time and released
              them so others can buy them. You have not been charged.
            </p>
          </div>
          <Summary booking={booking} />
          <Link className="button button-large" to={restartLink(booking)}>
            Start again
          </Link>
        </div>
      ) : booking.status === 'cancelled' ? (
        <div className="narrow">
          <PageTitle title="Booking cancelled" />
          <div className="notice notice-info" role="status">
            <p>This booking was cancelled and its tickets released. If you paid, the amount is refunded.</p>
          </div>
          <Summary booking={booking} />
          <Link className="button" to={restartLink(booking)}>
            Book again
          </Link>
        </div>
      ) : (
        <>
          <PageTitle title="Complete your booking" />
          <div className="booking-layout">
            <div className="stack">
              <Countdown secondsLeft={secondsLeft ?? 0} totalSeconds={holdTotal} />
              <PaymentForm booking={booking} onPaid={onPaid} onExpired={() => setLapsed(true)} />
            </div>
            <aside className="card" aria-labelledby="order-heading">
              <h2 id="order-heading">Order</h2>
              <Summary booking={booking} />
              <button
                type="button"
                className="button button-ghost button-block"
                onClick={() => setCancelOpen(true)}
              >
                Release these tickets
              </button>
            </aside>
          </div>
          <ConfirmDialog
            open={cancelOpen}
            title="Release your tickets?"
            confirmLabel="Yes, release them"
            cancelLabel="Keep my hold"
            danger
            busy={cancelling}
            onConfirm={onCancelHold}
            onClose={() => setCancelOpen(false)}
          >
            <p>The tickets go back on sale straight away.</p>
            <ErrorMessage error={cancelError} />
          </ConfirmDialog>
        </>
      )}
    </section>
  );
}
