// POST /bookings, /bookings/{id}/confirm, /bookings/{id}/cancel; GET /bookings, /bookings/{id}.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { caller } from '../../platform/http/auth-guard.js';
import { DomainError, errorBody } from '../../platform/http/errors.js';
import { BearerSecurity, errors, IdParams, Page } from '../../platform/http/schemas.js';
import {
  BookingSchema,
  ConfirmBody,
  CreateBookingBody,
  IdempotencyHeaders,
  ListBookingsQuery,
} from './bookings.schemas.js';
import { type IdempotencyScope, type IdempotencyStore, requestHash } from './idempotency.js';

/**
 * Runs a booking-changing request under its Idempotency-Key, if any. Successful responses are
 * stored by the service inside the transaction of the change; client errors are stored here (there
 * is no change to split them from); server errors release the key so a retry can run.
 */
async function idempotent<T>(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  successStatus: number,
  work: (scope: IdempotencyScope | undefined, resumeBookingId?: string) => Promise<T>,
): Promise<void> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') {
    reply.status(successStatus).send(await work(undefined));
    return;
  }
  const hash = requestHash(request.method, request.url.split('?')[0] ?? '', request.body);
  const claim = await store.claim({ userId: caller(request).userId, key }, hash);
  if (claim.kind === 'replay') {
    reply.header('Idempotent-Replayed', 'true').status(claim.status).send(claim.body);
    return;
  }
  const { scope } = claim;
  // The lease is renewed while this process works, so it runs out only when the process dies.
  const renewing = setInterval(() => {
    store.renew(scope).catch((error: unknown) => {
      request.log.warn({ err: error }, 'could not renew an Idempotency-Key lease');
    });
  }, store.renewEveryMs);
  renewing.unref();
  try {
    reply.status(successStatus).send(await work(scope, claim.resumeBookingId));
  } catch (error) {
    if (error instanceof DomainError && error.status < 500) {
      await store.complete(scope, error.status, errorBody(error.code, error.message, error.details));
    } else {
      await store.release(scope).catch(() => {});
    }
    throw error;
  } finally {
    clearInterval(renewing);
  }
}

export const bookingRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { bookings, idempotency, guards } = ctx;
  app.addHook('onRequest', guards.authenticate);

  app.post(
    '/bookings',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Reserve tickets (a hold that expires), or reserve and pay in one step with paymentToken',
        security: BearerSecurity,
        headers: IdempotencyHeaders,
        body: CreateBookingBody,
        response: { 201: BookingSchema, ...errors(400, 401, 402, 404, 409, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      await idempotent(idempotency, request, reply, 201, (scope, resumeBookingId) =>
        bookings.reserve(caller(request).userId, request.body, scope, resumeBookingId),
      );
      return reply;
    },
  );

  app.post(
    '/bookings/:id/confirm',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Pay for a hold before it expires; issues the tickets',
        security: BearerSecurity,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ConfirmBody,
        response: { 200: BookingSchema, ...errors(400, 401, 402, 404, 409, 410, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      await idempotent(idempotency, request, reply, 200, (scope) =>
        bookings.confirm(caller(request).userId, request.params.id, request.body.paymentToken, scope),
      );
      return reply;
    },
  );

  app.post(
    '/bookings/:id/cancel',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Cancel a held or confirmed booking; frees its seats at once and refunds what was paid',
        security: BearerSecurity,
        params: IdParams,
        headers: IdempotencyHeaders,
        response: { 200: BookingSchema, ...errors(401, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      await idempotent(idempotency, request, reply, 200, (scope) =>
        bookings.cancel(caller(request).userId, request.params.id, scope),
      );
      return reply;
    },
  );

  app.get(
    '/bookings',
    {
      schema: {
        tags: ['bookings'],
        summary: "The caller's bookings with event summary and tickets",
        security: BearerSecurity,
        querystring: ListBookingsQuery,
        response: { 200: Page(BookingSchema), ...errors(400, 401) },
      },
    },
    (request) => bookings.list(caller(request).userId, request.query),
  );

  app.get(
    '/bookings/:id',
    {
      schema: {
        tags: ['bookings'],
        summary: 'One of the caller’s bookings (another user’s booking is 404)',
        security: BearerSecurity,
        params: IdParams,
        response: { 200: BookingSchema, ...errors(401, 404) },
      },
    },
    (request) => bookings.get(caller(request).userId, request.params.id),
  );
};
