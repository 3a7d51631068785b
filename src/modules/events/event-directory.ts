// A one-second cache of what routing a reservation needs (event status, start, limit, ticket
// types), so the hot path does not read the event per request. It only routes and rejects early:
// the allocation transaction re-reads status and start under the ticket type's lock.
import type { Db } from '../../platform/db/database.js';
import type { EventStatus } from '../../platform/db/schema.js';
import { isUuid } from '../../platform/http/errors.js';

export interface EventRoute {
  id: string;
  status: EventStatus;
  startsAt: Date;
  maxTicketsPerUser: number;
  ticketTypeIds: string[];
}

const TTL_MS = 1000;

export class EventDirectory {
  private readonly entries = new Map<string, { at: number; value: Promise<EventRoute | undefined> }>();

  constructor(private readonly db: Db) {}

  get(eventId: string): Promise<EventRoute | undefined> {
    if (!isUuid(eventId)) return Promise.resolve(undefined);
    const now = Date.now();
    const cached = this.entries.get(eventId);
    if (cached && now - cached.at < TTL_MS) return cached.value;
    // Single flight: concurrent misses share one query.
    const value = this.load(eventId);
    this.entries.set(eventId, { at: now, value });
    value.catch(() => this.entries.delete(eventId));
    if (this.entries.size > 50_000) this.entries.clear();
    return value;
  }

  invalidate(eventId: string): void {
    this.entries.delete(eventId);
  }

  private async load(eventId: string): Promise<EventRoute | undefined> {
    const event = await this.db
      .selectFrom('events')
      .select(['id', 'status', 'startsAt', 'maxTicketsPerUser'])
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!event) return undefined;
    const types = await this.db
      .selectFrom('ticketTypes')
      .select('id')
      .where('eventId', '=', eventId)
      .orderBy('position')
      .execute();
    return { ...event, ticketTypeIds: types.map((t) => t.id) };
  }
}
