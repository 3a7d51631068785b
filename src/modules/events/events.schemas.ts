import { Type } from 'typebox';
import { CursorQuery, LimitQuery, NullableTimestamp, Timestamp } from '../../platform/http/schemas.js';

const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO-4217 code, e.g. USD' });
const EventStatusSchema = Type.Union([
  Type.Literal('draft'),
  Type.Literal('published'),
  Type.Literal('cancelled'),
]);
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });

export const TicketTypeSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  priceCents: Type.Integer({ minimum: 0, description: 'Price in minor units of currency' }),
  currency: Currency,
  capacity: Type.Integer({ minimum: 0 }),
  available: Type.Integer({ minimum: 0 }),
});

export const VenueSchema = Type.Object({
  name: Type.String(),
  city: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
});

export const EventSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    description: Type.String(),
    category: Type.Union([Type.String(), Type.Null()]),
    venue: VenueSchema,
    startsAt: Timestamp,
    endsAt: NullableTimestamp,
    status: EventStatusSchema,
    capacity: Type.Integer({ description: 'Sum of the ticket types capacities' }),
    available: Type.Integer({
      description: 'Sum of the ticket types availability (may lag up to 1 s in lists)',
    }),
    maxTicketsPerUser: Type.Integer(),
    holdTtlSeconds: Type.Integer(),
    version: Type.Integer({ description: 'Send as If-Match on PATCH to avoid lost updates' }),
    ticketTypes: Type.Array(TicketTypeSchema),
  },
  {},
);

const MAX_CAPACITY = 10_000_000;

const NewTicketType = Type.Object(
  {
    name: Text(100),
    priceCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    currency: Type.Optional(Currency),
    capacity: Type.Integer({ minimum: 0, maximum: MAX_CAPACITY }),
  },
  { additionalProperties: false },
);

const VenueInput = Type.Object(
  {
    name: Text(200),
    city: Text(100),
    address: Type.Optional(Type.Union([Type.String({ maxLength: 300 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const CreateEventBody = Type.Object(
  {
    name: Text(200),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    category: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Null()])),
    venue: VenueInput,
    startsAt: Timestamp,
    endsAt: Type.Optional(NullableTimestamp),
    status: Type.Optional(
      Type.Union([Type.Literal('draft'), Type.Literal('published')], { default: 'published' }),
    ),
    maxTicketsPerUser: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
    holdTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 300 })),
    ticketTypes: Type.Array(NewTicketType, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

const TicketTypePatch = Type.Object(
  {
    id: Type.Optional(
      Type.String({ format: 'uuid', description: 'Existing ticket type to change; omit to add one' }),
    ),
    name: Type.Optional(Text(100)),
    priceCents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    currency: Type.Optional(Currency),
    capacity: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_CAPACITY })),
  },
  { additionalProperties: false },
);

export const UpdateEventBody = Type.Object(
  {
    name: Type.Optional(Text(200)),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    category: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Null()])),
    venue: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Text(200)),
          city: Type.Optional(Text(100)),
          address: Type.Optional(Type.Union([Type.String({ maxLength: 300 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    startsAt: Type.Optional(Timestamp),
    endsAt: Type.Optional(NullableTimestamp),
    status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('published')])),
    maxTicketsPerUser: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    holdTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    ticketTypes: Type.Optional(Type.Array(TicketTypePatch, { maxItems: 50 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListEventsQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'Case-insensitive match in name, description, venue, city',
      }),
    ),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    category: Type.Optional(Type.String({ maxLength: 50 })),
    from: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })], {
        description: 'Earliest start, inclusive (a date means its first instant, UTC); default now',
      }),
    ),
    to: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })], {
        description: 'Latest start, inclusive (a date means the whole day, UTC)',
      }),
    ),
    limit: Type.Optional(LimitQuery),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const AdminListEventsQuery = Type.Object(
  {
    ...ListEventsQuery.properties,
    from: Type.Optional(
      Type.String({ format: 'date-time', description: 'Earliest start (default: no bound)' }),
    ),
    status: Type.Optional(EventStatusSchema),
  },
  { additionalProperties: false },
);

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ description: 'Event version the change is based on; stale -> 412' }),
  ),
});
