// Small helpers that drive the public API through app.inject, as a client would.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface Session {
  userId: string;
  token: string;
  refreshToken: string;
  email: string;
}

export async function registerUser(app: TestApp, name = 'Buyer'): Promise<Session> {
  const email = `user-${randomUUID()}@example.test`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: 'password123', name },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return { userId: body.user.id, token: body.accessToken, refreshToken: body.refreshToken, email };
}

export async function adminSession(app: TestApp): Promise<Session> {
  const email = `admin-${randomUUID()}@example.test`;
  await app.ctx.auth.bootstrapAdmin(email, 'admin-password-1');
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: 'admin-password-1' },
  });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json();
  return { userId: body.user.id, token: body.accessToken, refreshToken: body.refreshToken, email };
}

export const auth = (session: Session) => ({ authorization: `Bearer ${session.token}` });

export interface EventOverrides {
  name?: string;
  startsAt?: string;
  maxTicketsPerUser?: number;
  holdTtlSeconds?: number;
  status?: 'draft' | 'published';
  ticketTypes?: { name: string; priceCents: number; capacity: number; currency?: string }[];
  [key: string]: unknown;
}

export async function createEvent(app: TestApp, admin: Session, overrides: EventOverrides = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/admin/events',
    headers: auth(admin),
    payload: {
      name: `Event ${randomUUID().slice(0, 8)}`,
      venue: { name: 'Hall', city: 'Lisbon' },
      startsAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
      ticketTypes: [{ name: 'General', priceCents: 2500, capacity: 100 }],
      ...overrides,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export function reserve(
  app: TestApp,
  session: Session,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: { ...auth(session), ...headers },
    payload,
  });
}

export function confirm(app: TestApp, session: Session, bookingId: string, paymentToken = 'tok_visa') {
  return app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${bookingId}/confirm`,
    headers: auth(session),
    payload: { paymentToken },
  });
}

export function cancel(app: TestApp, session: Session, bookingId: string) {
  return app.inject({ method: 'POST', url: `/api/v1/bookings/${bookingId}/cancel`, headers: auth(session) });
}

/** Asserts the inventory invariant through the admin endpoint and returns the report. */
export async function expectInventoryConsistent(app: TestApp, admin: Session, eventId: string) {
  const res = await app.inject({
    method: 'GET',
    url: `/api/v1/admin/events/${eventId}/inventory`,
    headers: auth(admin),
  });
  expect(res.statusCode, res.body).toBe(200);
  const report = res.json();
  for (const t of report.ticketTypes) {
    expect(t.available + t.held + t.confirmed, `ticket type ${t.name}`).toBe(t.capacity);
    expect(t.available).toBeGreaterThanOrEqual(0);
    expect(t.validTickets).toBe(t.confirmed);
  }
  expect(report.perUserCounters.counted).toBe(report.perUserCounters.live);
  expect(report.consistent).toBe(true);
  return report;
}

/** How many times each value occurs: the answers of a rush by status and error code, say. */
export function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
