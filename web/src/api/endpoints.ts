// One function per API v1 endpoint the web app uses.
import { uuid } from '../lib/uuid.ts';
import { query, request } from './client.ts';
import type {
  AnalyticsSummary,
  AuthResponse,
  Booking,
  DailyRow,
  EventInput,
  EventItem,
  EventPatch,
  EventStats,
  Page,
  User,
} from './types.ts';

export interface EventFilters {
  q?: string;
  city?: string;
  category?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export const auth = {
  register: (body: { email: string; password: string; name: string }) =>
    request<AuthResponse>('/auth/register', { method: 'POST', body }),
  login: (body: { email: string; password: string }) =>
    request<AuthResponse>('/auth/login', { method: 'POST', body }),
  me: (signal?: AbortSignal) => request<{ user: User }>('/me', { auth: true, signal }),
};

export const events = {
  list: (filters: EventFilters, signal?: AbortSignal) =>
    request<Page<EventItem>>(`/events${query({ ...filters })}`, { signal }),
  get: (id: string, signal?: AbortSignal, asAdmin = false) =>
    request<EventItem>(`/events/${encodeURIComponent(id)}`, { signal, auth: asAdmin }),
};

export const bookings = {
  /** Each call is one user action, so it gets a fresh Idempotency-Key unless the caller retries one. */
  create: (body: { eventId: string; ticketTypeId?: string; quantity: number }, idempotencyKey = uuid()) =>
    request<Booking>('/bookings', {
      method: 'POST',
      body,
      auth: true,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  confirm: (id: string, paymentToken: string, idempotencyKey = uuid()) =>
    request<Booking>(`/bookings/${encodeURIComponent(id)}/confirm`, {
      method: 'POST',
      body: { paymentToken },
      auth: true,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  cancel: (id: string, idempotencyKey = uuid()) =>
    request<Booking>(`/bookings/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
      auth: true,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  get: (id: string, signal?: AbortSignal) =>
    request<Booking>(`/bookings/${encodeURIComponent(id)}`, { auth: true, signal }),
  list: (scope: 'upcoming' | 'past' | 'all', cursor?: string, signal?: AbortSignal) =>
    request<Page<Booking>>(`/bookings${query({ scope, cursor })}`, { auth: true, signal }),
};

export interface AdminEventFilters extends EventFilters {
  status?: EventItem['status'];
}

export const admin = {
  /** Every event in any status, uncached; `from` has no default here (past events included). */
  listEvents: (filters: AdminEventFilters, signal?: AbortSignal) =>
    request<Page<EventItem>>(`/admin/events${query({ ...filters })}`, { auth: true, signal }),
  /** One event in any status, drafts included. */
  getEvent: (id: string, signal?: AbortSignal) =>
    request<EventItem>(`/admin/events/${encodeURIComponent(id)}`, { auth: true, signal }),
  createEvent: (body: EventInput) =>
    request<EventItem>('/admin/events', { method: 'POST', body, auth: true }),
  updateEvent: (id: string, body: EventPatch, version: number) =>
    request<EventItem>(`/admin/events/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body,
      auth: true,
      headers: { 'If-Match': String(version) },
    }),
  cancelEvent: (id: string) =>
    request<EventItem>(`/admin/events/${encodeURIComponent(id)}/cancel`, { method: 'POST', auth: true }),
  stats: (id: string, signal?: AbortSignal) =>
    request<EventStats>(`/admin/events/${encodeURIComponent(id)}/stats`, { auth: true, signal }),
  summary: (from: string, to: string, signal?: AbortSignal) =>
    request<AnalyticsSummary>(`/admin/analytics/summary${query({ from, to })}`, { auth: true, signal }),
  daily: (from: string, to: string, signal?: AbortSignal) =>
    request<{ data: DailyRow[] }>(`/admin/analytics/daily${query({ from, to })}`, { auth: true, signal }),
};
