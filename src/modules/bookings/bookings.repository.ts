// SQL of the booking engine. Every state change is a compare-and-set on the booking's status, and
// every seat returned goes through releaseSeats, so a seat comes back exactly once.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { BookingRow, BookingStatus, Database, TicketRow } from '../../platform/db/schema.js';

type Trx = Transaction<Database>;

export interface BatchRequest {
  id: string;
  userId: string;
  quantity: number;
}

export type BatchDecision =
  | { ok: true }
  | { code: 'SOLD_OUT' }
  | { code: 'INSUFFICIENT_AVAILABILITY'; available: number }
  | { code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyHeld: number };

export type BatchResult =
  | { status: 'not_found' | 'cancelled' | 'not_on_sale' | 'started' }
  | {
      status: 'ok';
      ticketType: {
        id: string;
        eventId: string;
        priceCents: number;
        currency: string;
        eventName: string;
        startsAt: string;
        venueName: string;
        venueCity: string;
        venueAddress: string | null;
      };
      createdAt: string;
      expiresAt: string;
      remaining: number;
      results: BatchDecision[];
    };

/** evently_reserve_batch's answer: a code and a value per request (migration 0008). */
type RawBatchResult =
  | { status: 'not_found' | 'cancelled' | 'not_on_sale' | 'started' }
  | (Omit<Extract<BatchResult, { status: 'ok' }>, 'results'> & {
      limit: number;
      codes: number[];
      values: number[];
    });

const GRANTED: BatchDecision = Object.freeze({ ok: true as const });
const SOLD_OUT: BatchDecision = Object.freeze({ code: 'SOLD_OUT' as const });

function decision(code: number, value: number, limit: number): BatchDecision {
  switch (code) {
    case 0:
      return GRANTED;
    case 1:
      return SOLD_OUT;
    case 2:
      return { code: 'INSUFFICIENT_AVAILABILITY', available: value };
    case 3:
      return { code: 'TICKET_LIMIT_EXCEEDED', limit, alreadyHeld: value };
    default:
      throw new Error(`evently_reserve_batch answered an unknown code ${code}`);
  }
}

export interface Released {
  ticketTypeId: string;
  eventId: string;
  userId: string;
  quantity: number;
}

export interface BookingWithEvent extends BookingRow {
  eventName: string;
  startsAt: Date;
  venueName: string;
  venueCity: string;
  venueAddress: string | null;
}

export class BookingsRepository {
  constructor(private readonly db: Db) {}

  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /**
   * One allocation batch in one round trip (see migrations 0005, 0007, 0008, 0010): locks the
   * ticket type and the buyers' existing counters, decides in arrival order, creates first-time
   * buyers' counters and writes every hold, returning a decision per request; 40001 if a new
   * buyer's counter appeared meanwhile. Run it inside a transaction to add more writes
   * (idempotency responses), or on a lane's pipelined connection (one statement, its own
   * transaction) while the lane's previous batch still runs.
   */
  async reserveBatch(
    executor: Trx | Db | undefined,
    ticketTypeId: string,
    requests: BatchRequest[],
  ): Promise<BatchResult> {
    const ids = requests.map((r) => r.id);
    const users = requests.map((r) => r.userId);
    const quantities = requests.map((r) => r.quantity);
    const result = await sql<{ result: RawBatchResult }>`
      SELECT evently_reserve_batch(${ticketTypeId}::uuid, ${ids}::uuid[], ${users}::uuid[], ${quantities}::int[]) AS result`.execute(
      executor ?? this.db,
    );
    const raw = result.rows[0]?.result;
    if (!raw) throw new Error('evently_reserve_batch returned no row');
    if (raw.status !== 'ok') return { status: raw.status };
    const { codes, values, limit, ...batch } = raw;
    return { ...batch, results: codes.map((code, i) => decision(code, values[i] ?? 0, limit)) };
  }

  /**
   * One reservation of a made-up buyer, event and ticket type, in a transaction that is rolled
   * back: the connection compiles the allocation function and plans its statements, its analytics
   * trigger and its foreign-key checks before a real buyer needs them, and nothing of it is kept.
   * Answers the rehearsal's decision (granted when the whole path ran). Use it on a connection
   * that holds no other transaction (warmConnections).
   */
  async rehearseReservation(): Promise<BatchDecision | BatchResult['status']> {
    const rollback = new Error('rehearsal rolled back');
    let outcome: BatchDecision | BatchResult['status'] = 'not_found';
    try {
      await this.db.transaction().execute(async (trx) => {
        const [userId, eventId, ticketTypeId] = [randomUUID(), randomUUID(), randomUUID()];
        await sql`
          INSERT INTO users (id, email, name, password_hash)
          VALUES (${userId}, ${`rehearsal-${userId}@evently.invalid`}, 'Rehearsal', '!')`.execute(trx);
        await sql`
          INSERT INTO events (id, name, venue_name, venue_city, starts_at, status, max_tickets_per_user, hold_ttl_seconds)
          VALUES (${eventId}, 'Rehearsal', 'Rehearsal', 'Rehearsal', now() + interval '1 day', 'published', 1, 60)`.execute(
          trx,
        );
        await sql`
          INSERT INTO ticket_types (id, event_id, name, price_cents, currency, capacity, available)
          VALUES (${ticketTypeId}, ${eventId}, 'Rehearsal', 100, 'USD', 1, 1)`.execute(trx);
        const result = await this.reserveBatch(trx, ticketTypeId, [
          { id: randomUUID(), userId, quantity: 1 },
        ]);
        outcome = result.status === 'ok' ? (result.results[0] ?? result.status) : result.status;
        throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
    }
    return outcome;
  }

  /** Returns seats and per-user counts for released bookings, aggregated and in lock order. */
  async releaseSeats(trx: Trx, released: Released[]): Promise<string[]> {
    if (released.length === 0) return [];
    const byType = new Map<string, number>();
    const byUser = new Map<string, { userId: string; eventId: string; quantity: number }>();
    for (const r of released) {
      byType.set(r.ticketTypeId, (byType.get(r.ticketTypeId) ?? 0) + r.quantity);
      const key = `${r.userId}:${r.eventId}`;
      const entry = byUser.get(key) ?? { userId: r.userId, eventId: r.eventId, quantity: 0 };
      entry.quantity += r.quantity;
      byUser.set(key, entry);
    }
    const types = [...byType.keys()].sort();
    await sql`
      UPDATE ticket_types t SET available = t.available + v.q
        FROM (SELECT * FROM unnest(${types}::uuid[], ${types.map((t) => byType.get(t) ?? 0)}::int[]) AS x(id, q)
              ORDER BY id) AS v
       WHERE t.id = v.id`.execute(trx);
    const users = [...byUser.values()].sort((a, b) =>
      a.userId === b.userId ? a.eventId.localeCompare(b.eventId) : a.userId.localeCompare(b.userId),
    );
    await sql`
      UPDATE user_event_tickets u SET quantity = u.quantity - v.q
        FROM unnest(${users.map((u) => u.userId)}::uuid[], ${users.map((u) => u.eventId)}::uuid[],
                    ${users.map((u) => u.quantity)}::int[]) AS v(uid, eid, q)
       WHERE u.user_id = v.uid AND u.event_id = v.eid`.execute(trx);
    // Delivered on commit, to every process: sales of these ticket types reopen at once.
    await sql`SELECT pg_notify('evently_inventory', ${JSON.stringify(types)})`.execute(trx);
    return types;
  }

  findById(id: string, executor: Db | Trx = this.db): Promise<BookingWithEvent | undefined> {
    return executor
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.eventId')
      .selectAll('b')
      .select(['e.name as eventName', 'e.startsAt', 'e.venueName', 'e.venueCity', 'e.venueAddress'])
      .where('b.id', '=', id)
      .executeTakeFirst();
  }

  /** held -> confirmed, only while the hold is live (database clock). */
  confirmHold(trx: Trx, id: string, paidCents: number) {
    return trx
      .updateTable('bookings')
      .set({ status: 'confirmed', confirmedAt: sql`now()`, paidCents })
      .where('id', '=', id)
      .where('status', '=', 'held')
      .where('expiresAt', '>', sql<Date>`now()`)
      .returning(['id'])
      .executeTakeFirst();
  }

  /** held|confirmed -> cancelled for one booking of one user; refunds whatever was paid. */
  async cancel(trx: Trx, id: string, userId: string, reason: string): Promise<BookingRow | undefined> {
    return trx
      .updateTable('bookings')
      .set((eb) => ({
        status: 'cancelled',
        cancelledAt: sql`now()`,
        refundedCents: eb.ref('paidCents'),
        cancelReason: reason,
      }))
      .where('id', '=', id)
      .where('userId', '=', userId)
      .where('status', 'in', ['held', 'confirmed'])
      .returningAll()
      .executeTakeFirst();
  }

  /** Every live booking of an event -> cancelled, in one statement (admin cancels the event). */
  cancelAllOfEvent(trx: Trx, eventId: string): Promise<BookingRow[]> {
    return trx
      .updateTable('bookings')
      .set((eb) => ({
        status: 'cancelled',
        cancelledAt: sql`now()`,
        refundedCents: eb.ref('paidCents'),
        cancelReason: 'event_cancelled',
      }))
      .where('eventId', '=', eventId)
      .where('status', 'in', ['held', 'confirmed'])
      .returningAll()
      .execute();
  }

  /** A one-step booking whose payment was declined disappears, as if never reserved. */
  deleteHold(trx: Trx, id: string): Promise<BookingRow | undefined> {
    return trx
      .deleteFrom('bookings')
      .where('id', '=', id)
      .where('status', '=', 'held')
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * Expires due holds, oldest first. SKIP LOCKED lets several sweepers (and processes) share the
   * work; the status compare-and-set makes a hold that a confirm or cancel just took untouchable.
   */
  async expireDue(trx: Trx, limit: number): Promise<Released[]> {
    const result = await sql<Released>`
      WITH due AS (
        SELECT id FROM bookings
         WHERE status = 'held' AND expires_at <= now()
         ORDER BY expires_at
         LIMIT ${limit}
         FOR UPDATE SKIP LOCKED
      )
      UPDATE bookings b SET status = 'expired', expired_at = now()
        FROM due WHERE b.id = due.id AND b.status = 'held'
      RETURNING b.ticket_type_id, b.event_id, b.user_id, b.quantity`.execute(trx);
    return result.rows;
  }

  /** Expires one hold whose deadline has passed (a late confirm finds it). */
  async expireOne(trx: Trx, id: string): Promise<Released | undefined> {
    return trx
      .updateTable('bookings')
      .set({ status: 'expired', expiredAt: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'held')
      .where('expiresAt', '<=', sql<Date>`now()`)
      .returning(['ticketTypeId', 'eventId', 'userId', 'quantity'])
      .executeTakeFirst();
  }

  async insertTickets(
    trx: Trx,
    tickets: { bookingId: string; eventId: string; ticketTypeId: string; code: string }[],
  ): Promise<void> {
    if (tickets.length > 0) await trx.insertInto('tickets').values(tickets).execute();
  }

  async voidTickets(trx: Trx, bookingIds: string[]): Promise<void> {
    if (bookingIds.length === 0) return;
    await trx.updateTable('tickets').set({ status: 'void' }).where('bookingId', 'in', bookingIds).execute();
  }

  async recordPayments(
    trx: Trx,
    rows: {
      bookingId: string;
      kind: 'charge' | 'refund';
      provider: string;
      providerRef: string;
      refundOf?: string;
      amountCents: number;
      currency: string;
    }[],
  ): Promise<void> {
    // A provider movement is recorded once: two requests that lost the same race with the same
    // charge (twins) both record it and its (idempotent) refund; the second finds them there.
    if (rows.length > 0) {
      await trx
        .insertInto('payments')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  /** Charges of these bookings that no refund has returned yet. */
  unrefundedCharges(trx: Trx, bookingIds: string[]) {
    if (bookingIds.length === 0) return Promise.resolve([]);
    return trx
      .selectFrom('payments as c')
      .select(['c.bookingId', 'c.providerRef', 'c.amountCents', 'c.currency'])
      .where('c.bookingId', 'in', bookingIds)
      .where('c.kind', '=', 'charge')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('payments as r')
              .select('r.id')
              .whereRef('r.provider', '=', 'c.provider')
              .whereRef('r.refundOf', '=', 'c.providerRef'),
          ),
        ),
      )
      .execute();
  }

  async hasCharge(bookingId: string, providerRef: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('payments')
      .select('id')
      .where('bookingId', '=', bookingId)
      .where('kind', '=', 'charge')
      .where('providerRef', '=', providerRef)
      .executeTakeFirst();
    return row !== undefined;
  }

  ticketsOf(bookingIds: string[], executor: Db | Trx = this.db): Promise<TicketRow[]> {
    if (bookingIds.length === 0) return Promise.resolve([]);
    return executor
      .selectFrom('tickets')
      .selectAll()
      .where('bookingId', 'in', bookingIds)
      .orderBy('bookingId')
      .orderBy('code')
      .execute();
  }

  /**
   * A keyset page of a user's upcoming (event start >= asOf, soonest first) or past (most recent
   * first) bookings with their event, ordered by event start then id. asOf defaults to now.
   */
  listForUser(input: {
    userId: string;
    scope: 'upcoming' | 'past';
    asOf?: Date;
    status?: BookingStatus;
    after?: { startsAt: string; id: string };
    limit: number;
  }): Promise<BookingWithEvent[]> {
    const ascending = input.scope === 'upcoming';
    const boundary = input.asOf ? sql<Date>`${input.asOf}::timestamptz` : sql<Date>`now()`;
    let query = this.db
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.eventId')
      .selectAll('b')
      .select(['e.name as eventName', 'e.startsAt', 'e.venueName', 'e.venueCity', 'e.venueAddress'])
      .where('b.userId', '=', input.userId);
    query = query.where('e.startsAt', ascending ? '>=' : '<', boundary);
    if (input.status) query = query.where('b.status', '=', input.status);
    if (input.after) {
      const after = sql`(${new Date(input.after.startsAt)}::timestamptz, ${input.after.id}::uuid)`;
      query = query.where(
        ascending
          ? sql<boolean>`(e.starts_at, b.id) > ${after}`
          : sql<boolean>`(e.starts_at, b.id) < ${after}`,
      );
    }
    const direction = ascending ? 'asc' : 'desc';
    return query.orderBy('e.startsAt', direction).orderBy('b.id', direction).limit(input.limit).execute();
  }

  /** Per ticket type: capacity, available, and held / confirmed counted from the bookings. */
  async inventory(eventId: string) {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const result = await sql<{
          id: string;
          name: string;
          capacity: number;
          available: number;
          held: number;
          confirmed: number;
          validTickets: number;
        }>`
        SELECT tt.id, tt.name, tt.capacity, tt.available,
               COALESCE((SELECT sum(quantity) FROM bookings b WHERE b.ticket_type_id = tt.id AND b.status = 'held'), 0)::int AS held,
               COALESCE((SELECT sum(quantity) FROM bookings b WHERE b.ticket_type_id = tt.id AND b.status = 'confirmed'), 0)::int AS confirmed,
               (SELECT count(*) FROM tickets t WHERE t.ticket_type_id = tt.id AND t.status = 'valid')::int AS valid_tickets
          FROM ticket_types tt
         WHERE tt.event_id = ${eventId}
         ORDER BY tt.position, tt.created_at`.execute(trx);
        const counters = await sql<{ counted: number; live: number }>`
        SELECT COALESCE((SELECT sum(quantity) FROM user_event_tickets WHERE event_id = ${eventId}), 0)::int AS counted,
               COALESCE((SELECT sum(quantity) FROM bookings WHERE event_id = ${eventId}
                          AND status IN ('held', 'confirmed')), 0)::int AS live`.execute(trx);
        return { ticketTypes: result.rows, perUserCounters: counters.rows[0] ?? { counted: 0, live: 0 } };
      });
  }
}
