// Table types of the one Database interface. Domain types live in the modules, apart from these.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type Role = 'user' | 'admin';
export type EventStatus = 'draft' | 'published' | 'cancelled';
export type BookingStatus = 'held' | 'confirmed' | 'cancelled' | 'expired';

export interface UserTable {
  id: Generated<string>;
  email: string;
  name: string;
  passwordHash: string;
  role: Generated<Role>;
  createdAt: CreatedAt;
  updatedAt: Generated<Date>;
}

export interface RefreshTokenTable {
  id: Generated<string>;
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Timestamp;
  usedAt: Timestamp | null;
  revokedAt: Timestamp | null;
  createdAt: CreatedAt;
}

export interface EventTable {
  id: Generated<string>;
  name: string;
  description: Generated<string>;
  category: string | null;
  venueName: string;
  venueCity: string;
  venueAddress: string | null;
  startsAt: Timestamp;
  endsAt: Timestamp | null;
  status: EventStatus;
  maxTicketsPerUser: number;
  holdTtlSeconds: number;
  version: Generated<number>;
  createdBy: string | null;
  createdAt: CreatedAt;
  updatedAt: Generated<Date>;
  cancelledAt: Timestamp | null;
}

export interface TicketTypeTable {
  id: Generated<string>;
  eventId: string;
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  available: number;
  position: number;
  createdAt: CreatedAt;
}

export interface BookingTable {
  id: string;
  userId: string;
  eventId: string;
  ticketTypeId: string;
  quantity: number;
  status: BookingStatus;
  amountCents: number;
  currency: string;
  paidCents: Generated<number>;
  refundedCents: Generated<number>;
  expiresAt: Timestamp;
  createdAt: ColumnType<Date, Date | string | undefined, never>;
  confirmedAt: Timestamp | null;
  cancelledAt: Timestamp | null;
  expiredAt: Timestamp | null;
  cancelReason: string | null;
}

export interface TicketTable {
  id: Generated<string>;
  bookingId: string;
  eventId: string;
  ticketTypeId: string;
  code: string;
  seatId: string | null;
  status: Generated<'valid' | 'void'>;
  checkedInAt: Timestamp | null;
  createdAt: CreatedAt;
}

export interface PaymentTable {
  id: Generated<string>;
  bookingId: string;
  kind: 'charge' | 'refund';
  provider: string;
  providerRef: string;
  /** For a refund: the providerRef of the charge it returns. */
  refundOf: ColumnType<string | null, string | null | undefined, never>;
  amountCents: number;
  currency: string;
  createdAt: CreatedAt;
}

export interface IdempotencyKeyTable {
  userId: string;
  key: string;
  requestHash: string;
  state: 'in_progress' | 'completed';
  responseStatus: number | null;
  responseBody: ColumnType<unknown, string | null, string | null> | null;
  lockedUntil: Timestamp;
  createdAt: CreatedAt;
  expiresAt: Timestamp;
  /** The hold a one-step booking made under this key (migration 0011). */
  bookingId: ColumnType<string | null, string | null | undefined, string | null>;
  /** The token of the claim that holds the key (migration 0012); null only on older rows. */
  owner: string | null;
}

export interface UserEventTicketsTable {
  userId: string;
  eventId: string;
  quantity: number;
}

export interface Database {
  users: UserTable;
  refreshTokens: RefreshTokenTable;
  events: EventTable;
  ticketTypes: TicketTypeTable;
  bookings: BookingTable;
  tickets: TicketTable;
  payments: PaymentTable;
  idempotencyKeys: IdempotencyKeyTable;
  userEventTickets: UserEventTicketsTable;
}

export type UserRow = Selectable<UserTable>;
export type EventRow = Selectable<EventTable>;
export type NewEventRow = Insertable<EventTable>;
export type TicketTypeRow = Selectable<TicketTypeTable>;
export type BookingRow = Selectable<BookingTable>;
export type TicketRow = Selectable<TicketTable>;

// Analytics rollups (migration 0003), written only by the triggers on bookings. Each key is split
// into shards that readers sum over. The `Database` below merges into the one above.
interface RollupFigures {
  bookings: number;
  ticketsSold: number;
  revenueCents: number;
  cancellations: number;
}

export interface TicketTypeStatsTable {
  ticketTypeId: string;
  shard: number;
  eventId: string;
  bookings: number;
  held: number;
  sold: number;
  revenueCents: number;
  cancellations: number;
}

export interface EventDailyStatsTable extends RollupFigures {
  eventId: string;
  /** A UTC calendar day; read it as text (to_char) to keep it a plain date. */
  day: string;
  shard: number;
}

export interface EventMonthlyStatsTable extends RollupFigures {
  eventId: string;
  /** First day of a UTC calendar month. */
  month: string;
  shard: number;
}

export interface GlobalDailyStatsTable extends RollupFigures {
  day: string;
  shard: number;
}

export interface Database {
  ticketTypeStats: TicketTypeStatsTable;
  eventDailyStats: EventDailyStatsTable;
  eventMonthlyStats: EventMonthlyStatsTable;
  globalDailyStats: GlobalDailyStatsTable;
}
