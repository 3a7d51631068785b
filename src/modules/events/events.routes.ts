// Public catalog reads and admin event management.
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../app.js';
import { caller } from '../../platform/http/auth-guard.js';
import { DomainError } from '../../platform/http/errors.js';
import { BearerSecurity, errors, IdParams, Page } from '../../platform/http/schemas.js';
import { InventorySchema } from '../bookings/bookings.schemas.js';
import { routeOf } from './event-directory.js';
import {
  AdminListEventsQuery,
  CreateEventBody,
  EventSchema,
  IfMatchHeaders,
  ListEventsQuery,
  UpdateEventBody,
} from './events.schemas.js';

function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  const version = Number(cleaned);
  if (!Number.isInteger(version) || version < 1) {
    throw new DomainError('VALIDATION_FAILED', 'If-Match must be the event version, e.g. "3"', {
      fields: [{ field: 'If-Match', message: 'must be a positive integer version' }],
    });
  }
  return version;
}

const CacheHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ description: 'ETag of a copy you have; 304 when unchanged' })),
});
const NotModified = Type.Null({ description: 'Not modified: the ETag you sent is current' });

export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { events, bookings, guards, browseCache, directory, eventChanged } = ctx;

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Upcoming published events, soonest first (cached for up to 1 s; ETag/304 supported)',
        querystring: ListEventsQuery,
        headers: CacheHeaders,
        response: { 200: Page(EventSchema), 304: NotModified, ...errors(400) },
      },
    },
    async (request, reply) => {
      await browseCache.serve(request, reply, () => events.list(request.query));
      return reply;
    },
  );

  app.get(
    '/events/:id',
    {
      schema: {
        tags: ['events'],
        summary:
          'One event with its ticket types and availability (cached for up to 1 s; ETag/304 supported)',
        params: IdParams,
        headers: CacheHeaders,
        response: { 200: EventSchema, 304: NotModified, ...errors(404) },
      },
    },
    async (request, reply) => {
      await browseCache.serve(request, reply, async () => {
        const prime = directory.primer(request.params.id);
        const event = await events.get(request.params.id);
        prime(routeOf(event));
        return event;
      });
      return reply;
    },
  );

  app.register(async (scope) => {
    const admin = scope.withTypeProvider<TypeBoxTypeProvider>();
    admin.addHook('onRequest', guards.requireAdmin);

    admin.post(
      '/admin/events',
      {
        schema: {
          tags: ['admin'],
          summary: 'Create an event with its ticket types',
          security: BearerSecurity,
          body: CreateEventBody,
          response: { 201: EventSchema, ...errors(400, 401, 403, 413, 415) },
        },
      },
      async (request, reply) => {
        const event = await events.create(request.body, caller(request).userId);
        await eventChanged(event.id);
        return reply.status(201).send(event);
      },
    );

    admin.get(
      '/admin/events',
      {
        schema: {
          tags: ['admin'],
          summary: 'Every event in any status (drafts and cancelled included), by start time, uncached',
          security: BearerSecurity,
          querystring: AdminListEventsQuery,
          response: { 200: Page(EventSchema), ...errors(400, 401, 403) },
        },
      },
      (request) => events.list(request.query, { admin: true }),
    );

    admin.get(
      '/admin/events/:id',
      {
        schema: {
          tags: ['admin'],
          summary: 'One event in any status, drafts included, uncached',
          security: BearerSecurity,
          params: IdParams,
          response: { 200: EventSchema, ...errors(401, 403, 404) },
        },
      },
      (request) => events.get(request.params.id, { includeDrafts: true }),
    );

    admin.patch(
      '/admin/events/:id',
      {
        schema: {
          tags: ['admin'],
          summary:
            'Partial update; ticket types by id, new ones without. If-Match: <version> guards against lost updates',
          security: BearerSecurity,
          params: IdParams,
          headers: IfMatchHeaders,
          body: UpdateEventBody,
          response: { 200: EventSchema, ...errors(400, 401, 403, 404, 409, 412, 413, 415) },
        },
      },
      async (request) => {
        const event = await events.update(
          request.params.id,
          request.body,
          parseIfMatch(request.headers['if-match']),
        );
        await eventChanged(event.id);
        return event;
      },
    );

    admin.post(
      '/admin/events/:id/cancel',
      {
        schema: {
          tags: ['admin'],
          summary: 'Cancel the event: every held or confirmed booking becomes cancelled (refunded)',
          security: BearerSecurity,
          params: IdParams,
          response: { 200: EventSchema, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const event = await bookings.cancelEvent(request.params.id);
        await eventChanged(event.id);
        return event;
      },
    );

    admin.get(
      '/admin/events/:id/inventory',
      {
        schema: {
          tags: ['admin'],
          summary:
            'Inventory check: capacity, available, held and confirmed per ticket type, and whether they add up',
          security: BearerSecurity,
          params: IdParams,
          response: { 200: InventorySchema, ...errors(401, 403, 404) },
        },
      },
      (request) => bookings.inventory(request.params.id),
    );
  });
};
