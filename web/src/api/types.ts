// Shapes of the Evently HTTP API v1 (see shared/api.md), as the web app reads them.

export type Role = 'user' | 'admin';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface AuthResponse {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface Venue {
  name: string;
  city: string;
  address?: string | null;
}

export type EventStatus = 'draft' | 'published' | 'cancelled';

export interface TicketType {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  available: number;
}

export interface EventItem {
  id: string;
  name: string;
  description?: string | null;
  category?: string | null;
  venue: Venue;
  startsAt: string;
  endsAt?: string | null;
  status: EventStatus;
  capacity: number;
  available: number;
  maxTicketsPerUser: number;
  holdTtlSeconds: number;
  version: number;
  ticketTypes: TicketType[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type BookingStatus = 'held' | 'confirmed' | 'cancelled' | 'expired';

export interface Ticket {
  code: string;
}

export interface Booking {
  id: string;
  status: BookingStatus;
  eventId: string;
  event: { id: string; name: string; startsAt: string; venue: Venue };
  ticketTypeId: string;
  quantity: number;
  amountCents: number;
  currency: string;
  expiresAt: string | null;
  createdAt: string;
  confirmedAt: string | null;
  cancelledAt: string | null;
  tickets: Ticket[];
}

export interface TicketTypeInput {
  id?: string;
  name: string;
  priceCents: number;
  currency?: string;
  capacity: number;
}

export interface EventInput {
  name: string;
  description?: string;
  category?: string | null;
  venue: { name: string; city: string; address?: string | null };
  startsAt: string;
  endsAt?: string | null;
  status?: EventStatus;
  maxTicketsPerUser?: number;
  holdTtlSeconds?: number;
  ticketTypes: TicketTypeInput[];
}

export interface DailyRow {
  date: string;
  bookings: number;
  ticketsSold: number;
  revenueCents: number;
  cancellations: number;
}

export interface AnalyticsSummary {
  totals: {
    bookings: number;
    ticketsSold: number;
    revenueCents: number;
    cancellations: number;
    cancellationRate: number;
  };
  topEvents: {
    eventId: string;
    name: string;
    ticketsSold: number;
    revenueCents: number;
    utilization: number;
  }[];
  utilization: {
    eventId: string;
    name: string;
    capacity: number;
    sold: number;
    held: number;
    utilization: number;
  }[];
}

export interface EventStats {
  eventId: string;
  capacity: number;
  sold: number;
  held: number;
  available: number;
  utilization: number;
  revenueCents: number;
  cancellations: number;
  cancellationRate: number;
  ticketTypes: {
    id: string;
    name: string;
    capacity: number;
    sold: number;
    held: number;
    available: number;
  }[];
  daily: DailyRow[];
}
