// The event catalog: public reads and admin writes with optimistic versioning.
import { sql, type Transaction } from 'kysely';
import { groupBy } from '../../platform/collections.js';
import type { Db } from '../../platform/db/database.js';
import type { Database, EventRow, EventStatus, TicketTypeRow } from '../../platform/db/schema.js';
import { decodeStartKey, keysetPage } from '../../platform/http/cursor.js';
import { DomainError, isUuid, notFound } from '../../platform/http/errors.js';
import type { EventsRepository } from './events.repository.js';

export interface TicketType {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  available: number;
}

export interface Event {
  id: string;
  name: string;
  description: string;
  category: string | null;
  venue: { name: string; city: string; address: string | null };
  startsAt: string;
  endsAt: string | null;
  status: EventStatus;
  capacity: number;
  available: number;
  maxTicketsPerUser: number;
  holdTtlSeconds: number;
  version: number;
  ticketTypes: TicketType[];
}

export interface NewTicketTypeInput {
  name: string;
  priceCents: number;
  currency?: string;
  capacity: number;
}

export interface CreateEventInput {
  name: string;
  description?: string;
  category?: string | null;
  venue: { name: string; city: string; address?: string | null };
  startsAt: string;
  endsAt?: string | null;
  status?: 'draft' | 'published';
  maxTicketsPerUser?: number;
  holdTtlSeconds?: number;
  ticketTypes: NewTicketTypeInput[];
}

export interface UpdateEventInput {
  name?: string;
  description?: string;
  category?: string | null;
  venue?: { name?: string; city?: string; address?: string | null };
  startsAt?: string;
  endsAt?: string | null;
  status?: 'draft' | 'published';
  maxTicketsPerUser?: number;
  holdTtlSeconds?: number;
  ticketTypes?: (Partial<NewTicketTypeInput> & { id?: string })[];
}

export interface ListQuery {
  status?: EventStatus;
  q?: string;
  city?: string;
  category?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export const DEFAULT_CURRENCY = 'USD';

export function toTicketType(row: TicketTypeRow): TicketType {
  return {
    id: row.id,
    name: row.name,
    priceCents: row.priceCents,
    currency: row.currency,
    capacity: row.capacity,
    available: row.available,
  };
}

export function toEvent(row: EventRow, ticketTypes: TicketTypeRow[]): Event {
  const types = ticketTypes.map(toTicketType);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    venue: { name: row.venueName, city: row.venueCity, address: row.venueAddress },
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt ? row.endsAt.toISOString() : null,
    status: row.status,
    capacity: types.reduce((sum, t) => sum + t.capacity, 0),
    available: types.reduce((sum, t) => sum + t.available, 0),
    maxTicketsPerUser: row.maxTicketsPerUser,
    holdTtlSeconds: row.holdTtlSeconds,
    version: row.version,
    ticketTypes: types,
  };
}

const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A range bound's first instant: a plain date (`2026-12-01`) starts at midnight UTC. */
const startOf = (value: string) => new Date(PLAIN_DATE.test(value) ? `${value}T00:00:00.000Z` : value);
/** A range bound's last instant: a plain date covers its whole day (UTC). */
const endOf = (value: string) =>
  PLAIN_DATE.test(value) ? new Date(Date.parse(`${value}T00:00:00.000Z`) + 86_400_000 - 1) : new Date(value);

const invalid = (field: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${field} ${message}`, { fields: [{ field, message }] });

function checkDates(startsAt: Date, endsAt: Date | null) {
  if (endsAt && endsAt < startsAt) throw invalid('endsAt', 'must not be before startsAt');
}

export class EventsService {
  constructor(
    private readonly db: Db,
    private readonly repo: EventsRepository,
  ) {}

  /**
   * The public list (published, upcoming by default) or, for admins, every status and date
   * unless filtered.
   */
  async list(
    query: ListQuery,
    options: { admin?: boolean } = {},
  ): Promise<{ data: Event[]; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    const from = query.from ? startOf(query.from) : options.admin ? undefined : new Date();
    const to = query.to ? endOf(query.to) : undefined;
    if (to && from && to < from) throw invalid('to', 'must not be before from');
    const statuses: EventStatus[] = !options.admin
      ? ['published']
      : query.status
        ? [query.status]
        : ['draft', 'published', 'cancelled'];
    const after = query.cursor ? decodeStartKey(query.cursor) : undefined;
    const rows = await this.repo.list({
      statuses,
      q: query.q,
      city: query.city,
      category: query.category,
      from,
      to,
      after,
      limit: limit + 1,
    });
    const { page, nextCursor } = keysetPage(rows, limit);
    const types = await this.repo.ticketTypesOf(page.map((r) => r.id));
    const byEvent = groupBy(types, (t) => t.eventId);
    return { data: page.map((row) => toEvent(row, byEvent.get(row.id) ?? [])), nextCursor };
  }

  count(): Promise<number> {
    return this.repo.countEvents();
  }

  /** Drafts are visible to admins only; everyone else gets the same 404 as for an unknown id. */
  async get(id: string, options: { includeDrafts?: boolean } = {}): Promise<Event> {
    if (!isUuid(id)) throw notFound('EVENT_NOT_FOUND', 'Event');
    const row = await this.repo.findById(id);
    if (!row || (row.status === 'draft' && !options.includeDrafts))
      throw notFound('EVENT_NOT_FOUND', 'Event');
    return toEvent(row, await this.repo.ticketTypesOf([id]));
  }

  async create(input: CreateEventInput, createdBy: string | null): Promise<Event> {
    const startsAt = new Date(input.startsAt);
    const endsAt = input.endsAt ? new Date(input.endsAt) : null;
    checkDates(startsAt, endsAt);
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('events')
        .values({
          name: input.name.trim(),
          description: input.description ?? '',
          category: input.category ?? null,
          venueName: input.venue.name.trim(),
          venueCity: input.venue.city.trim(),
          venueAddress: input.venue.address ?? null,
          startsAt,
          endsAt,
          status: input.status ?? 'published',
          maxTicketsPerUser: input.maxTicketsPerUser ?? 10,
          holdTtlSeconds: input.holdTtlSeconds ?? 300,
          createdBy,
          cancelledAt: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const types = await trx
        .insertInto('ticketTypes')
        .values(
          input.ticketTypes.map((t, position) => ({
            eventId: row.id,
            name: t.name.trim(),
            priceCents: t.priceCents,
            currency: t.currency ?? DEFAULT_CURRENCY,
            capacity: t.capacity,
            available: t.capacity,
            position,
          })),
        )
        .returningAll()
        .execute();
      return toEvent(row, types);
    });
  }

  /**
   * Partial update under the event's row lock. `expectedVersion` (If-Match) makes a stale editor
   * fail with 412 instead of silently overwriting; capacity changes move `available` by the same
   * delta in one conditional statement, so they can never go below what is held and sold.
   */
  async update(id: string, input: UpdateEventInput, expectedVersion?: number): Promise<Event> {
    if (!isUuid(id)) throw notFound('EVENT_NOT_FOUND', 'Event');
    return this.db.transaction().execute(async (trx) => {
      const current = await this.repo.lockById(trx, id);
      if (!current) throw notFound('EVENT_NOT_FOUND', 'Event');
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new DomainError('VERSION_CONFLICT', 'The event changed since you loaded it', {
          currentVersion: current.version,
        });
      }
      if (current.status === 'cancelled')
        throw new DomainError('EVENT_NOT_EDITABLE', 'A cancelled event cannot be edited');

      const startsAt = input.startsAt ? new Date(input.startsAt) : current.startsAt;
      const endsAt =
        input.endsAt === undefined ? current.endsAt : input.endsAt ? new Date(input.endsAt) : null;
      checkDates(startsAt, endsAt);

      if (input.ticketTypes) await this.applyTicketTypes(trx, current.id, input.ticketTypes);

      const row = await trx
        .updateTable('events')
        .set({
          name: input.name?.trim(),
          description: input.description,
          category: input.category,
          venueName: input.venue?.name?.trim(),
          venueCity: input.venue?.city?.trim(),
          venueAddress: input.venue?.address,
          startsAt,
          endsAt,
          status: input.status,
          maxTicketsPerUser: input.maxTicketsPerUser,
          holdTtlSeconds: input.holdTtlSeconds,
          version: current.version + 1,
          updatedAt: new Date(),
        })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEvent(row, await this.repo.ticketTypesOf([id], trx));
    });
  }

  private async applyTicketTypes(
    trx: Transaction<Database>,
    eventId: string,
    changes: UpdateEventInput['ticketTypes'] & {},
  ) {
    const existing = await this.repo.ticketTypesOf([eventId], trx);
    const known = new Set(existing.map((t) => t.id));
    let position = existing.length;
    for (const [index, change] of changes.entries()) {
      if (!change.id) {
        if (change.name === undefined || change.priceCents === undefined || change.capacity === undefined) {
          throw invalid(
            `ticketTypes.${index}`,
            'needs name, priceCents and capacity to create a ticket type',
          );
        }
        await trx
          .insertInto('ticketTypes')
          .values({
            eventId,
            name: change.name.trim(),
            priceCents: change.priceCents,
            currency: change.currency ?? DEFAULT_CURRENCY,
            capacity: change.capacity,
            available: change.capacity,
            position: position++,
          })
          .execute();
        continue;
      }
      if (!known.has(change.id))
        throw invalid(`ticketTypes.${index}.id`, 'is not a ticket type of this event');
      if (change.capacity !== undefined) {
        // SET reads the old row, so available moves by exactly the capacity delta.
        const resized = await sql<{ id: string }>`
          UPDATE ticket_types
             SET capacity = ${change.capacity}, available = available + (${change.capacity}::int - capacity)
           WHERE id = ${change.id} AND available + (${change.capacity}::int - capacity) >= 0
          RETURNING id`.execute(trx);
        if (resized.rows.length === 0) {
          const current = existing.find((t) => t.id === change.id);
          throw new DomainError(
            'CAPACITY_BELOW_SOLD',
            'Capacity cannot go below the tickets already held or sold',
            {
              ticketTypeId: change.id,
              heldOrSold: current ? current.capacity - current.available : undefined,
            },
          );
        }
      }
      if (change.name !== undefined || change.priceCents !== undefined || change.currency !== undefined) {
        await trx
          .updateTable('ticketTypes')
          .set({ name: change.name?.trim(), priceCents: change.priceCents, currency: change.currency })
          .where('id', '=', change.id)
          .execute();
      }
    }
  }
}
