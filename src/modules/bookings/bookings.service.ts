// The booking engine: batched reservations, payment, cancellation, expiry and history.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { groupBy } from '../../platform/collections.js';
import type { Db } from '../../platform/db/database.js';
import { isConcurrentWriteFailure } from '../../platform/db/errors.js';
import type { PipelinedConnections, PipelineLease } from '../../platform/db/pipelined.js';
import type { Database, TicketRow } from '../../platform/db/schema.js';
import { decodeStartKey, keysetPage } from '../../platform/http/cursor.js';
import { DomainError, isUuid, notFound } from '../../platform/http/errors.js';
import { timeOrderedId } from '../../platform/ids.js';
import type { EventDirectory } from '../events/event-directory.js';
import type { EventsRepository } from '../events/events.repository.js';
import { type Event, toEvent } from '../events/events.service.js';
import { BatchLanes } from './batch-lanes.js';
import type {
  BatchDecision,
  BatchResult,
  BookingsRepository,
  BookingWithEvent,
  Released,
} from './bookings.repository.js';
import { type IdempotencyScope, type IdempotencyStore, keyTakenOver } from './idempotency.js';
import type { PaymentProvider } from './payments.js';
import type { SoldOutMarks } from './sold-out.js';

type Trx = Transaction<Database>;

/** A reservation whose batch must be a transaction: it stores an Idempotency-Key's answer. */
const needsTransaction = (item: ReserveItem): boolean =>
  item.idempotency !== undefined || item.link !== undefined;

export interface Booking {
  id: string;
  status: 'held' | 'confirmed' | 'cancelled' | 'expired';
  eventId: string;
  event: {
    id: string;
    name: string;
    startsAt: string;
    venue: { name: string; city: string; address: string | null };
  };
  ticketTypeId: string;
  quantity: number;
  amountCents: number;
  currency: string;
  expiresAt: string;
  createdAt: string;
  confirmedAt: string | null;
  cancelledAt: string | null;
  tickets: { code: string }[];
}

export interface ReserveInput {
  eventId: string;
  ticketTypeId?: string;
  quantity: number;
  paymentToken?: string;
}

export interface ListBookingsQuery {
  scope?: 'upcoming' | 'past' | 'all';
  status?: Booking['status'];
  limit?: number;
  cursor?: string;
}

interface ReserveItem {
  bookingId: string;
  userId: string;
  eventId: string;
  quantity: number;
  /** Completed inside the allocation transaction (two-phase bookings only). */
  idempotency?: IdempotencyScope;
  /** A one-step booking's key: the hold is linked to it inside the allocation transaction. */
  link?: IdempotencyScope;
}

type ReserveOutcome = { ok: true; booking: Booking } | { ok: false; error: DomainError };

export interface BookingsServiceOptions {
  maxBatch: number;
  /**
   * Pipelined connections for the allocation batches that need no transaction: a lane sends its
   * next batch while the one before it runs (docs/performance.md, "Pipelined allocation"). Without
   * them every batch runs on the pool, one at a time per lane.
   */
  pipelines?: PipelinedConnections;
  /** Batches of one lane in flight at once on its pipelined connection (default 2). */
  pipelineDepth?: number;
  maxQueue: number;
  maxWaiting?: number;
  onBatchFailure?: (error: unknown, size: number) => void;
}

export function toBooking(row: BookingWithEvent, tickets: Pick<TicketRow, 'code'>[]): Booking {
  return {
    id: row.id,
    status: row.status,
    eventId: row.eventId,
    event: {
      id: row.eventId,
      name: row.eventName,
      startsAt: row.startsAt.toISOString(),
      venue: { name: row.venueName, city: row.venueCity, address: row.venueAddress },
    },
    ticketTypeId: row.ticketTypeId,
    quantity: row.quantity,
    amountCents: row.amountCents,
    currency: row.currency.trim(),
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    confirmedAt: row.confirmedAt ? row.confirmedAt.toISOString() : null,
    cancelledAt: row.cancelledAt ? row.cancelledAt.toISOString() : null,
    tickets: tickets.map((t) => ({ code: t.code })),
  };
}

function decisionError(decision: Exclude<BatchDecision, { ok: true }>): DomainError {
  switch (decision.code) {
    case 'SOLD_OUT':
      return soldOut();
    case 'INSUFFICIENT_AVAILABILITY':
      return new DomainError('INSUFFICIENT_AVAILABILITY', `Only ${decision.available} tickets are left`, {
        available: decision.available,
      });
    case 'TICKET_LIMIT_EXCEEDED':
      return limitExceeded(decision.limit, decision.alreadyHeld);
  }
}

const soldOut = () =>
  new DomainError('SOLD_OUT', 'Sold out: no tickets of this type are left', { available: 0 });

/**
 * Builds the holds of one batch. Everything but id, quantity and amount is the batch's, so the
 * event summary and the timestamps are formatted once and shared (answers are serialized, never
 * mutated).
 */
function holdFactory(batch: Extract<BatchResult, { status: 'ok' }>): (item: ReserveItem) => Booking {
  const tt = batch.ticketType;
  const event = {
    id: tt.eventId,
    name: tt.eventName,
    startsAt: new Date(tt.startsAt).toISOString(),
    venue: { name: tt.venueName, city: tt.venueCity, address: tt.venueAddress },
  };
  const expiresAt = new Date(batch.expiresAt).toISOString();
  const createdAt = new Date(batch.createdAt).toISOString();
  return (item) => ({
    id: item.bookingId,
    status: 'held',
    eventId: tt.eventId,
    event,
    ticketTypeId: tt.id,
    quantity: item.quantity,
    amountCents: item.quantity * tt.priceCents,
    currency: tt.currency,
    expiresAt,
    createdAt,
    confirmedAt: null,
    cancelledAt: null,
    tickets: [],
  });
}

const limitExceeded = (limit: number, alreadyHeld: number) =>
  new DomainError('TICKET_LIMIT_EXCEEDED', `At most ${limit} tickets per person for this event`, {
    maxTicketsPerUser: limit,
    alreadyHeld,
  });

const notBookable = (reason: string) =>
  new DomainError('EVENT_NOT_BOOKABLE', `This event cannot be booked: ${reason}`);

/** 128 random bits, base32 (Crockford-like, no padding): unguessable and easy to read aloud. */
function ticketCode(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export class BookingsService {
  private readonly lanes: BatchLanes<ReserveItem, ReserveOutcome>;
  private readonly pipelines: PipelinedConnections | undefined;
  /** The pipelined connection of each running lane, by ticket type. */
  private readonly leases = new Map<string, PipelineLease>();

  constructor(
    private readonly repo: BookingsRepository,
    private readonly eventsRepo: EventsRepository,
    private readonly directory: EventDirectory,
    private readonly idempotency: IdempotencyStore,
    private readonly payments: PaymentProvider,
    private readonly soldOut: SoldOutMarks,
    options: BookingsServiceOptions,
  ) {
    this.pipelines = options.pipelines?.size ? options.pipelines : undefined;
    this.lanes = new BatchLanes({
      maxBatch: options.maxBatch,
      maxQueue: options.maxQueue,
      maxWaiting: options.maxWaiting,
      depth: this.pipelines ? (options.pipelineDepth ?? 2) : 1,
      // A batch that stores Idempotency-Key answers is a transaction: on the pool, alone.
      runsAlone: needsTransaction,
      onLaneIdle: (ticketTypeId) => {
        this.leases.get(ticketTypeId)?.release();
        this.leases.delete(ticketTypeId);
      },
      runBatch: (ticketTypeId, items) => this.reserveBatch(ticketTypeId, items),
      // A batch that lost to a concurrent write wrote nothing: evently_reserve_batch raises 40001
      // when a first-time buyer's counter appeared during the batch (migration 0010), and the
      // rerun finds the counter and locks it.
      retryWhole: isConcurrentWriteFailure,
      onBatchFailure: options.onBatchFailure,
    });
  }

  laneStats() {
    return this.lanes.stats();
  }

  /** Phase 1 (and, with a payment token, phase 2 in the same request). */
  /**
   * resumeBookingId: the hold that an earlier run of this very request (same Idempotency-Key,
   * same body) made before its process died; a one-step booking pays for that hold if it is still
   * live instead of reserving a second one.
   */
  async reserve(
    userId: string,
    input: ReserveInput,
    idempotency?: IdempotencyScope,
    resumeBookingId?: string,
  ): Promise<Booking> {
    if (input.paymentToken !== undefined) this.payments.assertUsableToken(input.paymentToken);
    if (input.paymentToken !== undefined && resumeBookingId !== undefined) {
      const hold = await this.liveHold(userId, resumeBookingId);
      if (hold) return this.pay(hold, input.paymentToken, { oneStep: true, idempotency });
    }
    const route = await this.directory.get(input.eventId);
    if (!route) throw notFound('EVENT_NOT_FOUND', 'Event');
    let ticketTypeId = input.ticketTypeId;
    if (ticketTypeId === undefined) {
      if (route.ticketTypeIds.length !== 1) {
        throw new DomainError(
          'VALIDATION_FAILED',
          'ticketTypeId is required: this event has several ticket types',
          {
            fields: [{ field: 'ticketTypeId', message: 'required when the event has several ticket types' }],
          },
        );
      }
      ticketTypeId = route.ticketTypeIds[0] as string;
    } else if (!route.ticketTypeIds.includes(ticketTypeId)) {
      throw notFound('TICKET_TYPE_NOT_FOUND', 'Ticket type');
    }
    if (route.status === 'cancelled') throw notBookable('it was cancelled');
    if (route.status === 'draft') throw notBookable('it is not on sale yet');
    if (route.startsAt.getTime() <= Date.now()) throw notBookable('it has already started');
    if (input.quantity > route.maxTicketsPerUser) throw limitExceeded(route.maxTicketsPerUser, 0);
    if (this.soldOut.isSoldOut(ticketTypeId)) throw soldOut();

    const outcome = await this.lanes.submit(ticketTypeId, {
      // Time-ordered, so the holds of a rush append to the primary key's right edge (decision #36).
      bookingId: timeOrderedId(),
      userId,
      eventId: input.eventId,
      quantity: input.quantity,
      idempotency: input.paymentToken === undefined ? idempotency : undefined,
      link: input.paymentToken === undefined ? undefined : idempotency,
    });
    if (!outcome.ok) throw outcome.error;
    if (input.paymentToken === undefined) return outcome.booking;
    return this.pay(outcome.booking, input.paymentToken, { oneStep: true, idempotency });
  }

  /**
   * One allocation batch for one ticket type, decided and written by evently_reserve_batch in a
   * single round trip. Only when some request carries an Idempotency-Key does the batch run in a
   * transaction, so the stored responses commit with the holds they describe.
   */
  private async reserveBatch(ticketTypeId: string, items: ReserveItem[]): Promise<ReserveOutcome[]> {
    // Requests that queued behind the batch that sold the last seats: its mark answers them as
    // the fast path answers later ones, without a round trip and the event-loop turn it waits
    // for. In a sell-out these are up to a thousand requests at the moment it sells out, the
    // slowest answers of the run. A batch with the probe in it still goes to the database.
    if (this.soldOut.isKnownSoldOut(ticketTypeId)) {
      return items.map((): ReserveOutcome => ({ ok: false, error: soldOut() }));
    }
    const requests = items.map((i) => ({ id: i.bookingId, userId: i.userId, quantity: i.quantity }));
    const decide = async (
      executor?: Trx | Db,
    ): Promise<{ outcomes: ReserveOutcome[]; remaining?: number }> => {
      const result = await this.repo.reserveBatch(executor, ticketTypeId, requests);
      const rejectAll = (error: DomainError) => ({
        outcomes: items.map((): ReserveOutcome => ({ ok: false, error })),
      });
      switch (result.status) {
        case 'not_found':
          return rejectAll(notFound('TICKET_TYPE_NOT_FOUND', 'Ticket type'));
        case 'cancelled':
          return rejectAll(notBookable('it was cancelled'));
        case 'not_on_sale':
          return rejectAll(notBookable('it is not on sale yet'));
        case 'started':
          return rejectAll(notBookable('it has already started'));
      }
      const newHold = holdFactory(result);
      const outcomes = items.map((item, i): ReserveOutcome => {
        const decision = result.results[i];
        if (!decision) throw new Error('evently_reserve_batch answered fewer requests than it was given');
        if ('ok' in decision) return { ok: true, booking: newHold(item) };
        return { ok: false, error: decisionError(decision) };
      });
      if (executor?.isTransaction) {
        const trx = executor as Trx;
        const completions = outcomes.flatMap((outcome, i) => {
          const scope = items[i]?.idempotency;
          return outcome.ok && scope ? [{ scope, status: 201, body: outcome.booking }] : [];
        });
        const links = outcomes.flatMap((outcome, i) => {
          const scope = items[i]?.link;
          return outcome.ok && scope ? [{ scope, bookingId: outcome.booking.id }] : [];
        });
        const completed = await this.idempotency.completeMany(trx, completions);
        const linked = await this.idempotency.linkHolds(trx, links);
        // A key taken over by a retry while this request waited (its lease lapsed): its hold
        // must not be written beside the retry's. The batch rolls back; run alone, that request
        // gets keyTakenOver and its neighbours their holds (BatchLanes splits a failed batch).
        if (completed < completions.length || linked < links.length) throw keyTakenOver();
      }
      return { outcomes, remaining: result.remaining };
    };
    const { outcomes, remaining } = items.some(needsTransaction)
      ? await this.repo.transaction((trx) => decide(trx))
      : await decide(this.pipelineOf(ticketTypeId));
    // A batch saw the ticket type's row under its lock: renew the sold-out mark, or drop it at
    // once when seats came back (a probe that found them, say, after a lost reopen signal).
    if (remaining === 0) this.soldOut.mark(ticketTypeId);
    else if (remaining !== undefined) this.soldOut.reopen([ticketTypeId]);
    return outcomes;
  }

  /** The lane's pipelined connection, leased when its first batch needs it; none without pipelines. */
  private pipelineOf(ticketTypeId: string): Db | undefined {
    if (!this.pipelines) return undefined;
    let lease = this.leases.get(ticketTypeId);
    if (!lease) {
      lease = this.pipelines.lease();
      this.leases.set(ticketTypeId, lease);
    }
    return lease.db;
  }

  /** Phase 2 of a two-phase booking. */
  async confirm(
    userId: string,
    bookingId: string,
    paymentToken: string,
    idempotency?: IdempotencyScope,
  ): Promise<Booking> {
    this.payments.assertUsableToken(paymentToken);
    const row = await this.findOwned(userId, bookingId);
    if (row.status === 'expired' || (row.status === 'held' && row.expiresAt.getTime() <= Date.now())) {
      await this.expireNow(row.id);
      throw new DomainError('HOLD_EXPIRED', 'The hold expired before payment; reserve again');
    }
    if (row.status !== 'held') {
      throw new DomainError('INVALID_BOOKING_STATE', `A ${row.status} booking cannot be confirmed`, {
        status: row.status,
      });
    }
    return this.pay(toBooking(row, []), paymentToken, { oneStep: false, idempotency });
  }

  /**
   * Charges, then moves held -> confirmed with a compare-and-set that only succeeds before
   * expiresAt. The charge comes first so no lock is held during a provider call; when the
   * compare-and-set loses (the hold expired or was cancelled meanwhile) the exact charge is refunded.
   */
  private async pay(
    hold: Booking,
    paymentToken: string,
    options: { oneStep: boolean; idempotency?: IdempotencyScope },
  ): Promise<Booking> {
    // A one-step booking under an Idempotency-Key charges under that key, so a retry that had to
    // reserve a new hold (the first one lapsed) gets back the charge a dead process made.
    const scope = options.oneStep ? options.idempotency : undefined;
    const charge = await this.payments.charge({
      token: paymentToken,
      amountCents: hold.amountCents,
      currency: hold.currency,
      idempotencyKey: scope
        ? `idempotency:${scope.userId}:${scope.key}:${paymentToken}`
        : `booking:${hold.id}:${paymentToken}`,
    });
    if (!charge.ok) {
      if (options.oneStep) await this.discardHold(hold.id);
      throw new DomainError(
        'PAYMENT_DECLINED',
        charge.reason,
        options.oneStep ? undefined : { expiresAt: hold.expiresAt },
      );
    }
    const chargeRow = {
      bookingId: hold.id,
      kind: 'charge' as const,
      provider: this.payments.name,
      providerRef: charge.ref,
      amountCents: hold.amountCents,
      currency: hold.currency,
    };
    const confirmed = await this.repo.transaction(async (trx) => {
      const won = await this.repo.confirmHold(trx, hold.id, hold.amountCents);
      if (!won) return undefined;
      const tickets = Array.from({ length: hold.quantity }, () => ({
        bookingId: hold.id,
        eventId: hold.eventId,
        ticketTypeId: hold.ticketTypeId,
        code: ticketCode(),
      }));
      await this.repo.insertTickets(trx, tickets);
      await this.repo.recordPayments(trx, [chargeRow]);
      const booking = await this.load(trx, hold.id);
      if (options.idempotency) {
        // The confirm is a compare-and-set: a run that lost its key may still be the one that
        // confirmed, and its answer is the one to replay (see IdempotencyStore.complete).
        await this.idempotency.complete(options.idempotency, options.oneStep ? 201 : 200, booking, trx, {
          firstAnswer: true,
        });
      }
      return booking;
    });
    if (confirmed) return confirmed;

    // Lost the race. The compare-and-set waited for the winner's commit, so its payment is
    // visible: when the winner was a twin request that paid with this very charge (same
    // provider idempotency key), the charge is the booking's, recorded once, whatever happened
    // to the booking since (a cancel after that confirm refunded it through the booking).
    // Otherwise give it back and keep a record of both movements.
    const current = await this.repo.findById(hold.id);
    const chargeIsTheBookings = current !== undefined && (await this.repo.hasCharge(hold.id, charge.ref));
    if (!chargeIsTheBookings) {
      const refund = await this.payments.refund({
        chargeRef: charge.ref,
        amountCents: hold.amountCents,
        currency: hold.currency,
      });
      await this.repo.transaction((trx) =>
        this.repo.recordPayments(trx, [
          chargeRow,
          { ...chargeRow, kind: 'refund', providerRef: refund.ref, refundOf: charge.ref },
        ]),
      );
    }
    if (!current || current.status === 'expired' || current.status === 'held') {
      if (current?.status === 'held') await this.expireNow(hold.id);
      throw new DomainError(
        'HOLD_EXPIRED',
        'The hold expired before payment completed; the charge was refunded',
      );
    }
    throw new DomainError(
      'INVALID_BOOKING_STATE',
      chargeIsTheBookings
        ? `The booking was already confirmed by another request${current.status === 'confirmed' ? '' : ` and is now ${current.status}`}`
        : `The booking was ${current.status} meanwhile; the charge was refunded`,
      {
        status: current.status,
      },
    );
  }

  /** The caller's hold with this id, if it is still held and not yet due to expire. */
  private async liveHold(userId: string, bookingId: string): Promise<Booking | undefined> {
    const row = await this.repo.findById(bookingId);
    if (!row || row.userId !== userId || row.status !== 'held' || row.expiresAt.getTime() <= Date.now())
      return undefined;
    return toBooking(row, []);
  }

  /** A declined one-step booking leaves nothing reserved: the hold is removed and its seats return. */
  private async discardHold(bookingId: string): Promise<void> {
    const types = await this.repo.transaction(async (trx) => {
      const removed = await this.repo.deleteHold(trx, bookingId);
      return removed ? this.repo.releaseSeats(trx, [removed]) : [];
    });
    this.soldOut.reopen(types);
  }

  async cancel(userId: string, bookingId: string, idempotency?: IdempotencyScope): Promise<Booking> {
    if (!isUuid(bookingId)) throw notFound('BOOKING_NOT_FOUND', 'Booking');
    const result = await this.repo.transaction(async (trx) => {
      const row = await this.repo.cancel(trx, bookingId, userId, 'cancelled_by_user');
      if (!row) return undefined;
      const types = await this.repo.releaseSeats(trx, [row]);
      await this.settleCancelled(trx, [row]);
      const booking = await this.load(trx, bookingId);
      if (idempotency) await this.idempotency.complete(idempotency, 200, booking, trx, { firstAnswer: true });
      return { booking, types };
    });
    if (!result) {
      const row = await this.findOwned(userId, bookingId);
      throw new DomainError('INVALID_BOOKING_STATE', `A ${row.status} booking cannot be cancelled`, {
        status: row.status,
      });
    }
    this.soldOut.reopen(result.types);
    return result.booking;
  }

  /** Voids tickets and refunds what was paid for bookings that were just cancelled. */
  private async settleCancelled(
    trx: Trx,
    rows: { id: string; paidCents: number; currency: string }[],
  ): Promise<void> {
    await this.repo.voidTickets(
      trx,
      rows.map((r) => r.id),
    );
    const paid = rows.filter((r) => r.paidCents > 0);
    const charges = await this.repo.unrefundedCharges(
      trx,
      paid.map((r) => r.id),
    );
    const refunds = [];
    for (const charge of charges) {
      const refund = await this.payments.refund({
        chargeRef: charge.providerRef,
        amountCents: charge.amountCents,
        currency: charge.currency,
      });
      refunds.push({
        bookingId: charge.bookingId,
        kind: 'refund' as const,
        provider: this.payments.name,
        providerRef: refund.ref,
        refundOf: charge.providerRef,
        amountCents: charge.amountCents,
        currency: charge.currency,
      });
    }
    await this.repo.recordPayments(trx, refunds);
  }

  /**
   * Admin cancel of an event: the event and every held or confirmed booking of it become
   * cancelled in one transaction; seats return and paid bookings are refunded.
   */
  async cancelEvent(eventId: string): Promise<Event> {
    if (!isUuid(eventId)) throw notFound('EVENT_NOT_FOUND', 'Event');
    const result = await this.repo.transaction(async (trx) => {
      const event = await this.eventsRepo.lockById(trx, eventId);
      if (!event) return undefined;
      if (event.status === 'cancelled') return { event, types: [] as string[] };
      const updated = await trx
        .updateTable('events')
        .set({
          status: 'cancelled',
          cancelledAt: sql`now()`,
          version: event.version + 1,
          updatedAt: sql`now()`,
        })
        .where('id', '=', eventId)
        .returningAll()
        .executeTakeFirstOrThrow();
      const cancelled = await this.repo.cancelAllOfEvent(trx, eventId);
      const types = await this.repo.releaseSeats(trx, cancelled);
      await this.settleCancelled(trx, cancelled);
      return { event: updated, types };
    });
    if (!result) throw notFound('EVENT_NOT_FOUND', 'Event');
    this.soldOut.reopen(result.types);
    return toEvent(result.event, await this.eventsRepo.ticketTypesOf([eventId]));
  }

  /** Expires every due hold, in chunks; returns how many expired. Safe to run in many processes. */
  async expireDue(chunk = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const { count, types } = await this.repo.transaction(async (trx) => {
        const released = await this.repo.expireDue(trx, chunk);
        return { count: released.length, types: await this.repo.releaseSeats(trx, released) };
      });
      this.soldOut.reopen(types);
      total += count;
      if (count < chunk) return total;
    }
  }

  private async expireNow(bookingId: string): Promise<void> {
    const types = await this.repo.transaction(async (trx) => {
      const released = await this.repo.expireOne(trx, bookingId);
      return released ? this.repo.releaseSeats(trx, [released as Released]) : [];
    });
    this.soldOut.reopen(types);
  }

  async get(userId: string, bookingId: string): Promise<Booking> {
    const row = await this.findOwned(userId, bookingId);
    const tickets = await this.repo.ticketsOf([row.id]);
    return toBooking(row, row.status === 'confirmed' ? tickets : []);
  }

  async list(
    userId: string,
    query: ListBookingsQuery,
  ): Promise<{ data: Booking[]; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    const scope = query.scope ?? 'all';
    const after = query.cursor ? decodeStartKey(query.cursor) : undefined;
    const base = { userId, status: query.status, limit: limit + 1 };
    if (scope !== 'all') {
      const rows = await this.repo.listForUser({ ...base, scope, after });
      return this.bookingPage(rows, limit);
    }
    // All: upcoming soonest first, then past most recent first, split at the instant of the first
    // page (kept in the cursor), so an event starting between two pages is neither repeated nor
    // skipped.
    const asOf = after?.asOf ? new Date(after.asOf) : new Date();
    const inPast = after !== undefined && new Date(after.startsAt) < asOf;
    const rows = inPast ? [] : await this.repo.listForUser({ ...base, scope: 'upcoming', asOf, after });
    if (rows.length <= limit) {
      rows.push(
        ...(await this.repo.listForUser({
          ...base,
          scope: 'past',
          asOf,
          after: inPast ? after : undefined,
          limit: limit + 1 - rows.length,
        })),
      );
    }
    return this.bookingPage(rows, limit, asOf);
  }

  private async bookingPage(
    rows: BookingWithEvent[],
    limit: number,
    asOf?: Date,
  ): Promise<{ data: Booking[]; nextCursor: string | null }> {
    const { page, nextCursor } = keysetPage(rows, limit, asOf);
    const tickets = await this.repo.ticketsOf(page.filter((r) => r.status === 'confirmed').map((r) => r.id));
    const byBooking = groupBy(tickets, (t) => t.bookingId);
    return { data: page.map((row) => toBooking(row, byBooking.get(row.id) ?? [])), nextCursor };
  }

  /** Capacity, available, held and confirmed per ticket type, and whether they add up. */
  async inventory(eventId: string) {
    if (!isUuid(eventId) || !(await this.eventsRepo.findById(eventId)))
      throw notFound('EVENT_NOT_FOUND', 'Event');
    const { ticketTypes, perUserCounters } = await this.repo.inventory(eventId);
    const types = ticketTypes.map((t) => ({
      ...t,
      consistent:
        t.available + t.held + t.confirmed === t.capacity &&
        t.validTickets === t.confirmed &&
        t.available >= 0,
    }));
    return {
      eventId,
      consistent: types.every((t) => t.consistent) && perUserCounters.counted === perUserCounters.live,
      perUserCounters,
      ticketTypes: types,
    };
  }

  private async findOwned(userId: string, bookingId: string): Promise<BookingWithEvent> {
    if (!isUuid(bookingId)) throw notFound('BOOKING_NOT_FOUND', 'Booking');
    const row = await this.repo.findById(bookingId);
    // Someone else's booking is indistinguishable from a missing one.
    if (!row || row.userId !== userId) throw notFound('BOOKING_NOT_FOUND', 'Booking');
    return row;
  }

  private async load(trx: Trx, bookingId: string): Promise<Booking> {
    const row = await this.repo.findById(bookingId, trx);
    if (!row) throw new Error(`booking ${bookingId} vanished inside its transaction`);
    const tickets = row.status === 'confirmed' ? await this.repo.ticketsOf([bookingId], trx) : [];
    return toBooking(row, tickets);
  }
}
