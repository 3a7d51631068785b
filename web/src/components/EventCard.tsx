// One event in the list: date badge, name, place and the lowest price.
import { Link } from 'react-router';
import type { EventItem } from '../api/types.ts';
import { dateBadge, formatDateTime, formatMoney } from '../lib/format.ts';

export function lowestPrice(event: EventItem): string | null {
  const prices = event.ticketTypes.filter((t) => t.available > 0);
  const pool = prices.length ? prices : event.ticketTypes;
  const cheapest = pool.reduce<EventItem['ticketTypes'][number] | null>(
    (min, t) => (min === null || t.priceCents < min.priceCents ? t : min),
    null,
  );
  if (!cheapest) return null;
  return cheapest.priceCents === 0 ? 'Free' : formatMoney(cheapest.priceCents, cheapest.currency);
}

export function AvailabilityBadge({
  event,
}: {
  event: Pick<EventItem, 'available' | 'capacity' | 'status'>;
}) {
  if (event.status === 'cancelled') return <span className="badge badge-muted">Cancelled</span>;
  if (event.available <= 0) return <span className="badge badge-soldout">Sold out</span>;
  if (event.available <= Math.max(5, event.capacity * 0.1)) {
    return <span className="badge badge-low">Only {event.available} left</span>;
  }
  return <span className="badge badge-ok">On sale</span>;
}

export function EventCard({ event }: { event: EventItem }) {
  const badge = dateBadge(event.startsAt);
  const price = lowestPrice(event);
  return (
    <li className="event-card">
      <div className="date-badge" aria-hidden="true">
        <span className="date-month">{badge.month}</span>
        <span className="date-day">{badge.day}</span>
      </div>
      <div className="event-card-body">
        {event.category && <p className="eyebrow">{event.category}</p>}
        <h2 className="event-card-title">
          <Link to={`/events/${event.id}`} className="stretched-link">
            {event.name}
          </Link>
        </h2>
        <p className="muted">
          <time dateTime={event.startsAt}>{formatDateTime(event.startsAt)}</time>
        </p>
        <p className="muted">
          {event.venue.name} · {event.venue.city}
        </p>
        <div className="event-card-footer">
          <AvailabilityBadge event={event} />
          {price && <span className="price">{price === 'Free' ? 'Free' : `from ${price}`}</span>}
        </div>
      </div>
    </li>
  );
}
