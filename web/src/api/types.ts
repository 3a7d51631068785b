// Shapes of the Evently HTTP API v1 (shared/api.md), derived from the server's own TypeBox schemas:
// the ones that validate its requests, serialize its answers and produce /docs. A change to the API
// that the web app does not follow fails `tsc -p web` instead of failing in a browser.
// Type-only imports: none of the server's code reaches the bundle.
import type { Static } from 'typebox';
import type {
  DailyRowSchema,
  EventStatsSchema,
  SummarySchema,
} from '../../../src/modules/analytics/analytics.schemas.ts';
import type { SessionSchema, TokenPairSchema, UserSchema } from '../../../src/modules/auth/auth.schemas.ts';
import type { BookingSchema } from '../../../src/modules/bookings/bookings.schemas.ts';
import type {
  CreateEventBody,
  EventSchema,
  TicketTypeSchema,
  UpdateEventBody,
  VenueSchema,
} from '../../../src/modules/events/events.schemas.ts';

export type User = Static<typeof UserSchema>;
export type Role = User['role'];
export type AuthResponse = Static<typeof SessionSchema>;
export type TokenPair = Static<typeof TokenPairSchema>;

export type Venue = Static<typeof VenueSchema>;
export type TicketType = Static<typeof TicketTypeSchema>;
export type EventItem = Static<typeof EventSchema>;
export type EventStatus = EventItem['status'];

/** A cursor page, as every list endpoint answers (`Page` in src/platform/http/schemas.ts). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type Booking = Static<typeof BookingSchema>;
export type BookingStatus = Booking['status'];
export type Ticket = Booking['tickets'][number];

/** The body of `POST /admin/events`. */
export type EventInput = Static<typeof CreateEventBody>;
/** The body of `PATCH /admin/events/{id}`: ticket types by `id`, new ones without. */
export type EventPatch = Static<typeof UpdateEventBody>;

export type DailyRow = Static<typeof DailyRowSchema>;
export type CurrencyRevenue = DailyRow['revenueByCurrency'][number];
export type AnalyticsSummary = Static<typeof SummarySchema>;
export type EventStats = Static<typeof EventStatsSchema>;
