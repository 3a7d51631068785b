// GET /admin/analytics/summary, /admin/analytics/daily and /admin/events/{id}/stats: admins only,
// JSON or (Accept: text/csv) CSV.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../app.js';
import { BearerSecurity, errors, IdParams } from '../../platform/http/schemas.js';
import { CSV_TYPE, dailyCsv, statsCsv, summaryCsv, wantsCsv } from './analytics.csv.js';
import type { DayRange } from './analytics.range.js';
import { AnalyticsRepository } from './analytics.repository.js';
import {
  DailyQuery,
  DailySchema,
  DEFINITIONS,
  EventStatsSchema,
  jsonOrCsv,
  RangeQuery,
  SummarySchema,
} from './analytics.schemas.js';
import { AnalyticsService } from './analytics.service.js';

function sendCsv(reply: FastifyReply, filename: string, body: string): FastifyReply {
  return reply.type(CSV_TYPE).header('Content-Disposition', `attachment; filename="${filename}"`).send(body);
}

const period = (range: DayRange) => `${range.from}_${range.to}`;

export const analyticsRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const analytics = new AnalyticsService(new AnalyticsRepository(ctx.dbHandle.db));
  // Before validation: a caller without the admin role learns nothing, not even which input is bad.
  app.addHook('onRequest', ctx.guards.requireAdmin);
  // The same URL answers JSON or CSV.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Vary', 'Accept');
  });

  app.get(
    '/admin/analytics/summary',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Platform totals, top events and utilization over a period (UTC days, default the last 30)',
        description:
          `${DEFINITIONS}\n\ntotals cover the period; topEvents are the 10 events that sold most tickets in the period ` +
          '(events that sold none are left out), then by name; utilization lists the events with booking activity ' +
          'in the period or starting in it (drafts aside), fullest first, at most 100, with their current sold, ' +
          'held and capacity.\n\nCSV: one table with a `section` column (`totals`, `topEvents`, `utilization`) ' +
          'and the union of the JSON fields as columns; fields a section lacks are empty.',
        security: BearerSecurity,
        querystring: RangeQuery,
        response: {
          200: jsonOrCsv(
            SummarySchema,
            'Columns: section,eventId,name,bookings,ticketsSold,revenueCents,cancellations,cancellationRate,capacity,sold,held,utilization',
          ),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const range = analytics.range(request.query);
      const summary = await analytics.summary(range);
      if (wantsCsv(request.headers.accept))
        return sendCsv(reply, `analytics-summary_${period(range)}.csv`, summaryCsv(summary));
      return reply.send(summary);
    },
  );

  app.get(
    '/admin/analytics/daily',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'One row per UTC day of the period, days without activity as zeros; optionally for one event',
        description: `${DEFINITIONS}\n\nCSV: date,bookings,ticketsSold,revenueCents,cancellations, one row per day.`,
        security: BearerSecurity,
        querystring: DailyQuery,
        response: {
          200: jsonOrCsv(DailySchema, 'Columns: date,bookings,ticketsSold,revenueCents,cancellations'),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const range = analytics.range(request.query);
      const { eventId } = request.query;
      const data = await analytics.daily(range, eventId);
      if (wantsCsv(request.headers.accept)) {
        const scope = eventId === undefined ? '' : `_event-${eventId}`;
        return sendCsv(reply, `analytics-daily${scope}_${period(range)}.csv`, dailyCsv(data));
      }
      return reply.send({ data });
    },
  );

  app.get(
    '/admin/events/:id/stats',
    {
      schema: {
        tags: ['analytics'],
        summary:
          "One event's sales: current sold, held and available per ticket type, lifetime revenue and cancellations, daily rows",
        description:
          `${DEFINITIONS}\n\ncapacity, sold, held, available and utilization are the current state; revenueCents, ` +
          'cancellations and cancellationRate cover the whole life of the event; daily covers from..to (default the ' +
          'last 30 days).\n\nCSV: one table with a `section` column: `event` (id = event id), `ticketType` (one row ' +
          'per ticket type), `daily` (one row per day).',
        security: BearerSecurity,
        params: IdParams,
        querystring: RangeQuery,
        response: {
          200: jsonOrCsv(
            EventStatsSchema,
            'Columns: section,id,name,date,capacity,sold,held,available,utilization,bookings,ticketsSold,revenueCents,cancellations,cancellationRate',
          ),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const range = analytics.range(request.query);
      const stats = await analytics.eventStats(request.params.id, range);
      if (wantsCsv(request.headers.accept)) {
        return sendCsv(reply, `event-${stats.eventId}-stats_${period(range)}.csv`, statsCsv(stats));
      }
      return reply.send(stats);
    },
  );
};
