// Bench-only routes, mounted by bench/server.ts and never by the product: the ceiling (the same
// stack with no database) and the baseline (the classic one-transaction-per-request booking with
// SELECT ... FOR UPDATE) that the batched allocation engine is measured against.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { AppContext } from '../src/app.js';
import { BookingSchema, CreateBookingBody } from '../src/modules/bookings/bookings.schemas.js';
import type { Booking } from '../src/modules/bookings/bookings.service.js';
import { caller } from '../src/platform/http/auth-guard.js';
import { DomainError, isUuid, notFound } from '../src/platform/http/errors.js';
import { errors } from '../src/platform/http/schemas.js';
import { timeOrderedId } from '../src/platform/ids.js';

interface LockedRow {
  ticketTypeId: string;
  available: number;
  priceCents: number;
  currency: string;
  eventName: string;
  eventStatus: string;
  startsAt: Date;
  venueName: string;
  venueCity: string;
  venueAddress: string | null;
  maxTicketsPerUser: number;
  holdTtlSeconds: number;
  dbNow: Date;
}

export const benchRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.dbHandle.db;

  app.get(
    '/bench/ceiling',
    {
      onRequest: ctx.guards.authenticate,
      schema: {
        hide: true,
        response: { 200: Type.Object({ ok: Type.Boolean(), userId: Type.String() }), ...errors(401) },
      },
    },
    async (request) => ({ ok: true, userId: caller(request).userId }),
  );

  /**
   * The ceiling with a booking's request and answer: the same POST body, validated by the same
   * schema, and a 201 with a booking-shaped body serialized by the same response schema, built in
   * memory. What separates it from POST /api/v1/bookings is the allocation and its database work.
   */
  const fakeEvent = {
    name: 'Ceiling',
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    venue: { name: 'No database', city: 'Nowhere', address: null },
  };
  app.post(
    '/bench/ceiling/bookings',
    {
      onRequest: ctx.guards.authenticate,
      schema: {
        hide: true,
        body: CreateBookingBody,
        response: { 201: BookingSchema, ...errors(400, 401) },
      },
    },
    async (request, reply): Promise<Booking> => {
      const { eventId, quantity } = request.body;
      const now = Date.now();
      reply.status(201);
      return {
        id: randomUUID(),
        status: 'held',
        eventId,
        event: { id: eventId, ...fakeEvent },
        ticketTypeId: randomUUID(),
        quantity,
        amountCents: quantity * 5000,
        currency: 'EUR',
        expiresAt: new Date(now + 600_000).toISOString(),
        createdAt: new Date(now).toISOString(),
        confirmedAt: null,
        cancelledAt: null,
        tickets: [],
      };
    },
  );

  /**
   * One transaction per request, every step a round trip made while the ticket type's row lock is
   * held: lock, check, per-user limit on the same user_event_tickets counter the engine uses,
   * decrement, count, insert the hold, commit. Throughput is bounded by 1 / (lock hold time).
   */
  app.post(
    '/bench/baseline/bookings',
    {
      onRequest: ctx.guards.authenticate,
      schema: {
        hide: true,
        body: CreateBookingBody,
        response: { 201: BookingSchema, ...errors(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { eventId, quantity } = request.body;
      if (!isUuid(eventId)) throw notFound('EVENT_NOT_FOUND', 'Event');
      const booking = await db.transaction().execute(async (trx): Promise<Booking> => {
        const { rows } = await sql<LockedRow>`
          SELECT tt.id AS ticket_type_id, tt.available, tt.price_cents, tt.currency,
                 e.name AS event_name, e.status AS event_status, e.starts_at, e.venue_name, e.venue_city,
                 e.venue_address, e.max_tickets_per_user, e.hold_ttl_seconds, now() AS db_now
            FROM ticket_types tt JOIN events e ON e.id = tt.event_id
           WHERE tt.event_id = ${eventId}
             FOR UPDATE OF tt`.execute(trx);
        const tt = rows[0];
        if (!tt || tt.eventStatus === 'draft') throw notFound('EVENT_NOT_FOUND', 'Event');
        if (rows.length > 1)
          throw new DomainError('VALIDATION_FAILED', 'The baseline books single-type events only');
        if (tt.eventStatus !== 'published' || tt.startsAt <= tt.dbNow) {
          throw new DomainError('EVENT_NOT_BOOKABLE', 'This event cannot be booked');
        }
        if (tt.available === 0) throw new DomainError('SOLD_OUT', 'Sold out', { available: 0 });
        if (quantity > tt.available) {
          throw new DomainError('INSUFFICIENT_AVAILABILITY', `Only ${tt.available} tickets are left`, {
            available: tt.available,
          });
        }

        const counter = await sql<{ quantity: number }>`
          INSERT INTO user_event_tickets (user_id, event_id, quantity) VALUES (${userId}, ${eventId}, 0)
          ON CONFLICT (user_id, event_id) DO UPDATE SET quantity = user_event_tickets.quantity
          RETURNING quantity`.execute(trx);
        const alreadyHeld = counter.rows[0]?.quantity ?? 0;
        if (alreadyHeld + quantity > tt.maxTicketsPerUser) {
          throw new DomainError(
            'TICKET_LIMIT_EXCEEDED',
            `At most ${tt.maxTicketsPerUser} tickets per person`,
            {
              maxTicketsPerUser: tt.maxTicketsPerUser,
              alreadyHeld,
            },
          );
        }

        await sql`UPDATE ticket_types SET available = available - ${quantity}::int WHERE id = ${tt.ticketTypeId}`.execute(
          trx,
        );
        await sql`
          UPDATE user_event_tickets SET quantity = quantity + ${quantity}::int
           WHERE user_id = ${userId} AND event_id = ${eventId}`.execute(trx);
        // The product's booking ids, so both write the same primary key the same way.
        const id = timeOrderedId();
        const expiresAt = new Date(tt.dbNow.getTime() + tt.holdTtlSeconds * 1000);
        await sql`
          INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                                expires_at, created_at)
          VALUES (${id}, ${userId}, ${eventId}, ${tt.ticketTypeId}, ${quantity}, 'held', ${quantity * tt.priceCents},
                  ${tt.currency}, ${expiresAt}, ${tt.dbNow})`.execute(trx);
        return {
          id,
          status: 'held',
          eventId,
          event: {
            id: eventId,
            name: tt.eventName,
            startsAt: tt.startsAt.toISOString(),
            venue: { name: tt.venueName, city: tt.venueCity, address: tt.venueAddress },
          },
          ticketTypeId: tt.ticketTypeId,
          quantity,
          amountCents: quantity * tt.priceCents,
          currency: tt.currency.trim(),
          expiresAt: expiresAt.toISOString(),
          createdAt: tt.dbNow.toISOString(),
          confirmedAt: null,
          cancelledAt: null,
          tickets: [],
        };
      });
      return reply.status(201).send(booking);
    },
  );
};
