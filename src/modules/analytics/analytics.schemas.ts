// Request and response schemas of the analytics endpoints; the descriptions carry the definitions.
import { type TSchema, Type } from 'typebox';
import { MAX_DAYS } from './analytics.range.js';

const Day = (description: string) => Type.String({ format: 'date', description });

const From = Day('First day of the period, UTC, inclusive (YYYY-MM-DD). Default: 29 days before `to`.');
const To = Day(
  `Last day of the period, UTC, inclusive (YYYY-MM-DD). Default: today (UTC). At most ${MAX_DAYS} days from \`from\`.`,
);

export const RangeQuery = Type.Object(
  { from: Type.Optional(From), to: Type.Optional(To) },
  { additionalProperties: false },
);

export const DailyQuery = Type.Object(
  {
    from: Type.Optional(From),
    to: Type.Optional(To),
    eventId: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'Only this event (unknown or malformed id: 404 EVENT_NOT_FOUND)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Count = (description: string) => Type.Integer({ minimum: 0, description });
const Cents = (description: string) => Type.Integer({ description });
const Ratio = (description: string) => Type.Number({ minimum: 0, description });

export const DEFINITIONS = [
  'Definitions (days are UTC calendar days):',
  '- bookings: bookings created that day, whatever became of them (held, confirmed, cancelled or expired). A one-step booking whose payment was declined leaves nothing and is not counted.',
  '- ticketsSold: tickets of bookings that are confirmed and not cancelled, counted on the day the booking was confirmed. A later cancellation takes them back off that day.',
  '- revenueCents: paid minus refunded, in minor units, counted on the day the booking was confirmed. A cancelled booking is refunded in full, so it nets 0.',
  '- cancellations: bookings cancelled that day (by the buyer or by an event cancellation), counted on the day of cancellation.',
  '- cancellationRate: cancellations / bookings over the period (0 when there are no bookings). Both are flows of the period, so a short period where older bookings are cancelled can exceed 1.',
  '- held: tickets in live holds right now, reported apart from sold.',
  '- utilization: sold / capacity right now, 0..1 (0 when capacity is 0).',
  '- revenueByCurrency: revenueCents per currency (ISO 4217, the currency each booking was sold in), currencies in alphabetical order, those netting 0 left out. revenueCents adds the minor units of all of them, so it is a sum of money only when the period sold in one currency.',
].join('\n');

const RevenueByCurrency = (description: string) =>
  Type.Array(
    Type.Object({
      currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
      revenueCents: Cents('Paid minus refunded, in minor units of this currency'),
    }),
    { description },
  );

export const DailyRowSchema = Type.Object({
  date: Type.String({ format: 'date', description: 'UTC calendar day' }),
  bookings: Count('Bookings created that day'),
  ticketsSold: Type.Integer({
    description: 'Tickets of bookings confirmed that day and not cancelled since',
  }),
  revenueCents: Cents('Paid minus refunded of bookings confirmed that day'),
  revenueByCurrency: RevenueByCurrency('revenueCents per currency'),
  cancellations: Count('Bookings cancelled that day'),
});

export const DailySchema = Type.Object({
  data: Type.Array(DailyRowSchema, {
    description: 'One row per day of the period, oldest first, zeros included',
  }),
});

export const SummarySchema = Type.Object({
  totals: Type.Object({
    bookings: Count('Bookings created in the period'),
    ticketsSold: Type.Integer({
      description: 'Tickets of bookings confirmed in the period and not cancelled since',
    }),
    revenueCents: Cents('Paid minus refunded of bookings confirmed in the period'),
    revenueByCurrency: RevenueByCurrency('revenueCents per currency'),
    cancellations: Count('Bookings cancelled in the period'),
    cancellationRate: Ratio('cancellations / bookings, 0 when there are no bookings'),
  }),
  topEvents: Type.Array(
    Type.Object({
      eventId: Type.String({ format: 'uuid' }),
      name: Type.String(),
      ticketsSold: Type.Integer({ description: 'Sold in the period' }),
      revenueCents: Cents('Revenue in the period'),
      revenueByCurrency: RevenueByCurrency('revenueCents per currency'),
      utilization: Ratio('sold / capacity now'),
    }),
    {
      description:
        'The 10 events that sold most tickets in the period (only events that sold any), then by name',
    },
  ),
  utilization: Type.Array(
    Type.Object({
      eventId: Type.String({ format: 'uuid' }),
      name: Type.String(),
      capacity: Count('Sum of the ticket types capacities'),
      sold: Count('Tickets sold now (confirmed, not cancelled)'),
      held: Count('Tickets in live holds now'),
      utilization: Ratio('sold / capacity, 0..1, 0 when capacity is 0'),
    }),
    {
      description:
        'Events with booking activity in the period or starting in it (drafts aside), fullest first, then by name; at most 100',
    },
  ),
});

export const EventStatsSchema = Type.Object({
  eventId: Type.String({ format: 'uuid' }),
  capacity: Count('Sum of the ticket types capacities'),
  sold: Count('Tickets sold now (confirmed, not cancelled)'),
  held: Count('Tickets in live holds now'),
  available: Count('Tickets still for sale: capacity - sold - held'),
  utilization: Ratio('sold / capacity, 0..1, 0 when capacity is 0'),
  revenueCents: Cents('Paid minus refunded over the life of the event'),
  revenueByCurrency: RevenueByCurrency('revenueCents per currency'),
  cancellations: Count('Bookings cancelled over the life of the event'),
  cancellationRate: Ratio('cancellations / bookings over the life of the event, 0..1'),
  ticketTypes: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      name: Type.String(),
      capacity: Count('Capacity of the ticket type'),
      sold: Count('Sold now'),
      held: Count('Held now'),
      available: Count('For sale now'),
    }),
  ),
  daily: Type.Array(DailyRowSchema, {
    description: "The event's daily rows over from..to (default: the last 30 days)",
  }),
});

/**
 * A 200 that is JSON by default and CSV with `Accept: text/csv`. Fastify serializes the JSON with
 * the schema; the CSV is sent as a string, untouched.
 */
export function jsonOrCsv<T extends TSchema>(schema: T, csvDescription: string) {
  return {
    description: 'JSON by default; CSV (RFC 4180, header row) when Accept prefers text/csv',
    headers: {
      'Content-Disposition': {
        type: 'string',
        description: 'CSV only: attachment; filename="<report>_<from>_<to>.csv"',
      },
      Vary: { type: 'string', description: 'Accept: the same URL answers JSON or CSV' },
    },
    content: {
      'application/json': { schema },
      'text/csv': { schema: Type.String({ description: csvDescription }) },
    },
  };
}
