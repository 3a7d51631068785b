import { Type } from 'typebox';
import { CursorQuery, LimitQuery, NullableTimestamp, Timestamp } from '../../platform/http/schemas.js';
import { VenueSchema } from '../events/events.schemas.js';

const BookingStatusSchema = Type.Union([
  Type.Literal('held'),
  Type.Literal('confirmed'),
  Type.Literal('cancelled'),
  Type.Literal('expired'),
]);

export const BookingSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: BookingStatusSchema,
    eventId: Type.String({ format: 'uuid' }),
    event: Type.Object({
      id: Type.String({ format: 'uuid' }),
      name: Type.String(),
      startsAt: Timestamp,
      venue: VenueSchema,
    }),
    ticketTypeId: Type.String({ format: 'uuid' }),
    quantity: Type.Integer({ minimum: 1 }),
    amountCents: Type.Integer({ minimum: 0 }),
    currency: Type.String(),
    expiresAt: Type.String({ format: 'date-time', description: 'Deadline of the hold' }),
    createdAt: Timestamp,
    confirmedAt: NullableTimestamp,
    cancelledAt: NullableTimestamp,
    tickets: Type.Array(
      Type.Object({ code: Type.String({ description: 'Unguessable ticket code (QR payload)' }) }),
      {
        description: 'Empty until confirmed',
      },
    ),
  },
  {},
);

const PaymentToken = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Test provider: tok_visa succeeds, tok_chargeDeclined declines; anything else is 400',
});

export const CreateBookingBody = Type.Object(
  {
    eventId: Type.String({ maxLength: 100 }),
    ticketTypeId: Type.Optional(
      Type.String({ format: 'uuid', description: 'May be omitted when the event has one ticket type' }),
    ),
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    paymentToken: Type.Optional(PaymentToken),
  },
  { additionalProperties: false },
);

export const ConfirmBody = Type.Object({ paymentToken: PaymentToken }, { additionalProperties: false });

export const ListBookingsQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('upcoming'), Type.Literal('past'), Type.Literal('all')], {
        default: 'all',
        description:
          'upcoming: soonest first; past: most recent first; all: the upcoming ones soonest first, then the past ones most recent first',
      }),
    ),
    status: Type.Optional(BookingStatusSchema),
    limit: Type.Optional(LimitQuery),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Replays return the first response for 24 h' }),
  ),
});

export const InventorySchema = Type.Object({
  eventId: Type.String({ format: 'uuid' }),
  consistent: Type.Boolean({ description: 'available + held + confirmed = capacity for every ticket type' }),
  perUserCounters: Type.Object({ counted: Type.Integer(), live: Type.Integer() }),
  ticketTypes: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      name: Type.String(),
      capacity: Type.Integer(),
      available: Type.Integer(),
      held: Type.Integer(),
      confirmed: Type.Integer(),
      validTickets: Type.Integer(),
      consistent: Type.Boolean(),
    }),
  ),
});
