// Reads and writes of events and their ticket types.
import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database, EventRow, EventStatus, TicketTypeRow } from '../../platform/db/schema.js';

export type Executor = Db | Transaction<Database>;

export interface ListFilter {
  statuses: EventStatus[];
  q?: string;
  city?: string;
  category?: string;
  from?: Date;
  to?: Date;
  after?: { startsAt: string; id: string };
  limit: number;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

export class EventsRepository {
  constructor(private readonly db: Db) {}

  /** Events in these statuses, from `from` on, in (startsAt, id) order after the cursor: a keyset page. */
  list(filter: ListFilter): Promise<EventRow[]> {
    let query = this.db.selectFrom('events').selectAll().where('status', 'in', filter.statuses);
    if (filter.from) query = query.where('startsAt', '>=', filter.from);
    if (filter.to) query = query.where('startsAt', '<=', filter.to);
    if (filter.city) query = query.where(sql`lower(venue_city)`, '=', filter.city.trim().toLowerCase());
    if (filter.category) query = query.where(sql`lower(category)`, '=', filter.category.trim().toLowerCase());
    if (filter.q?.trim()) {
      query = query.where(sql`search_text`, 'like', `%${escapeLike(filter.q.trim().toLowerCase())}%`);
    }
    if (filter.after) {
      const { startsAt, id } = filter.after;
      query = query.where(sql<boolean>`(starts_at, id) > (${new Date(startsAt)}::timestamptz, ${id}::uuid)`);
    }
    return query.orderBy('startsAt').orderBy('id').limit(filter.limit).execute();
  }

  findById(id: string, executor: Executor = this.db): Promise<EventRow | undefined> {
    return executor.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** FOR NO KEY UPDATE, so bookings inserting with a foreign key to the event (KEY SHARE) never wait on it. */
  lockById(trx: Transaction<Database>, id: string): Promise<EventRow | undefined> {
    return trx.selectFrom('events').selectAll().where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  }

  ticketTypesOf(eventIds: string[], executor: Executor = this.db): Promise<TicketTypeRow[]> {
    if (eventIds.length === 0) return Promise.resolve([]);
    return executor
      .selectFrom('ticketTypes')
      .selectAll()
      .where('eventId', 'in', eventIds)
      .orderBy('eventId')
      .orderBy('position')
      .orderBy('createdAt')
      .execute();
  }

  async countEvents(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
