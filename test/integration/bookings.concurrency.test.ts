import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BookingsRepository } from '../../src/modules/bookings/bookings.repository.js';
import {
  adminSession,
  auth,
  cancel,
  confirm,
  countBy,
  createEvent,
  expectInventoryConsistent,
  registerUser,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { bulkUsers } from '../helpers/users.js';

function deferred() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { gate, release };
}

describe('zero overselling under concurrency', () => {
  let t: TestContext;
  let admin: Session;
  beforeAll(async () => {
    t = await createTestApp({ poolSize: 30 });
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  it('when 500 buyers race for 50 seats, exactly 50 get a hold and 450 get a clean 409', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 5000, capacity: 50 }],
    });
    const buyers = await bulkUsers(t.app, 500);
    const results = await Promise.all(
      buyers.map((b) => reserve(t.app, b, { eventId: event.id, quantity: 1 })),
    );
    const statuses = countBy(results.map((r) => String(r.statusCode)));
    expect(statuses).toEqual({ '201': 50, '409': 450 });
    const codes = countBy(results.filter((r) => r.statusCode === 409).map((r) => r.json().error.code));
    expect(codes).toEqual({ SOLD_OUT: 450 });
    const holders = new Set(results.filter((r) => r.statusCode === 201).map((r) => r.json().id));
    expect(holders.size).toBe(50);
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0]).toMatchObject({ available: 0, held: 50, confirmed: 0 });
  });

  it('when one user sends 20 parallel requests against a limit of 4, exactly 4 succeed', async () => {
    const event = await createEvent(t.app, admin, { maxTicketsPerUser: 4 });
    const buyer = await registerUser(t.app);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reserve(t.app, buyer, { eventId: event.id, quantity: 1 })),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(4);
    const rejected = results.filter((r) => r.statusCode !== 201);
    expect(rejected).toHaveLength(16);
    for (const r of rejected) expect(r.json().error.code).toBe('TICKET_LIMIT_EXCEEDED');
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('the per-user limit spans ticket types of the event, across parallel requests', async () => {
    const event = await createEvent(t.app, admin, {
      maxTicketsPerUser: 5,
      ticketTypes: [
        { name: 'A', priceCents: 100, capacity: 100 },
        { name: 'B', priceCents: 100, capacity: 100 },
        { name: 'C', priceCents: 100, capacity: 100 },
      ],
    });
    const buyer = await registerUser(t.app);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        reserve(t.app, buyer, {
          eventId: event.id,
          ticketTypeId: event.ticketTypes[i % 3].id,
          quantity: 1 + (i % 2),
        }),
      ),
    );
    const granted = results
      .filter((r) => r.statusCode === 201)
      .reduce((sum, r) => sum + r.json().quantity, 0);
    expect(granted).toBeLessThanOrEqual(5);
    expect(granted).toBeGreaterThanOrEqual(4);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('reserving one ticket type while the same buyers cancel on another never deadlocks', async () => {
    // A batch on ticket type A locks its buyers' counters, then writes the event's rollups; a
    // cancel on ticket type B writes the same rollups, then returns seats to the same counters.
    // When a third transaction holds the day's rollup rows, both open the same new shard and one
    // waits for the other there. If the batch is the one waiting, the cancel must not then wait
    // for the batch's counters: every writer takes ticket type, counters, rollups in that order.
    // Out of order this deadlocks, and one side fails: 503 (batch) or 500 (cancel).
    const event = await createEvent(t.app, admin, {
      maxTicketsPerUser: 100,
      ticketTypes: [
        { name: 'A', priceCents: 1000, capacity: 1000 },
        { name: 'B', priceCents: 1000, capacity: 1000 },
      ],
    });
    const [typeA, typeB] = event.ticketTypes;
    const buyers = await bulkUsers(t.app, 10);
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const holds = await Promise.all(
        buyers.map((b) => reserve(t.app, b, { eventId: event.id, ticketTypeId: typeB.id, quantity: 1 })),
      );
      for (const h of holds) expect(h.statusCode, h.body).toBe(201);
      // The third transaction: holds every rollup row of the event for a moment.
      const blocker = await t.app.ctx.dbHandle.pool.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM event_daily_stats WHERE event_id = $1 FOR UPDATE', [event.id]);
        const answers = Promise.all(
          buyers.flatMap((b, i) => [
            reserve(t.app, b, { eventId: event.id, ticketTypeId: typeA.id, quantity: 1 }),
            cancel(t.app, b, holds[i]?.json().id),
          ]),
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        await blocker.query('ROLLBACK');
        const statuses = (await answers).map((a) => String(a.statusCode));
        expect(countBy(statuses)).toEqual({ '201': buyers.length, '200': buyers.length });
      } finally {
        blocker.release();
      }
    }
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    const byName = Object.fromEntries(report.ticketTypes.map((tt: { name: string }) => [tt.name, tt]));
    expect(byName.A).toMatchObject({ held: buyers.length * rounds });
    expect(byName.B).toMatchObject({ held: 0, available: 1000 });
  });

  it('confirm racing expiry: each hold ends either confirmed or expired, and its seats come back exactly once', async () => {
    const event = await createEvent(t.app, admin, {
      holdTtlSeconds: 1,
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 40 }],
    });
    const buyers = await bulkUsers(t.app, 40);
    const holds = await Promise.all(
      buyers.map(async (b) => ({
        buyer: b,
        hold: (await reserve(t.app, b, { eventId: event.id, quantity: 1 })).json(),
      })),
    );
    const deadline = Date.parse(holds[0]?.hold.expiresAt);
    // Fire confirms spread around the deadline while sweeps run continuously.
    let sweeping = true;
    const sweeper = (async () => {
      while (sweeping) await t.app.ctx.bookings.expireDue();
    })();
    const confirms = holds.map(async ({ buyer, hold }, i) => {
      const at = deadline - 200 + i * 10;
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      return confirm(t.app, buyer, hold.id);
    });
    const results = await Promise.all(confirms);
    sweeping = false;
    await sweeper;
    await t.app.ctx.bookings.expireDue();

    for (const r of results) expect([200, 410]).toContain(r.statusCode);
    const confirmed = results.filter((r) => r.statusCode === 200).length;
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0]).toMatchObject({ held: 0, confirmed, available: 40 - confirmed });
    // A 410 after a successful charge must have been refunded.
    const charges = await t.db.db
      .selectFrom('payments')
      .select(['bookingId', 'kind'])
      .where(
        'bookingId',
        'in',
        holds.map((h) => h.hold.id),
      )
      .execute();
    const byBooking = new Map<string, string[]>();
    for (const p of charges) byBooking.set(p.bookingId, [...(byBooking.get(p.bookingId) ?? []), p.kind]);
    holds.forEach(({ hold }, i) => {
      const kinds = (byBooking.get(hold.id) ?? []).sort();
      if (results[i]?.statusCode === 200) expect(kinds).toEqual(['charge']);
      else expect(kinds.length === 0 || kinds.join() === 'charge,refund').toBe(true);
    });
  });

  it('confirm racing cancel: every ticket comes back exactly once and money is refunded', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 700, capacity: 30 }],
    });
    const buyers = await bulkUsers(t.app, 30);
    const holds = await Promise.all(
      buyers.map(async (b) => ({
        buyer: b,
        hold: (await reserve(t.app, b, { eventId: event.id, quantity: 1 })).json(),
      })),
    );
    const outcomes = await Promise.all(
      holds.map(async ({ buyer, hold }) => {
        const [c, x] = await Promise.all([confirm(t.app, buyer, hold.id), cancel(t.app, buyer, hold.id)]);
        return { confirm: c.statusCode, cancel: x.statusCode, id: hold.id };
      }),
    );
    for (const o of outcomes) {
      // The cancel always wins in the end: either it cancelled the hold, or the confirmed booking.
      expect(o.cancel).toBe(200);
      expect([200, 409]).toContain(o.confirm);
    }
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0]).toMatchObject({ available: 30, held: 0, confirmed: 0 });
    const payments = await t.db.db
      .selectFrom('payments')
      .select(['bookingId', 'kind', 'amountCents'])
      .where(
        'bookingId',
        'in',
        outcomes.map((o) => o.id),
      )
      .execute();
    const charged = payments.filter((p) => p.kind === 'charge').length;
    const refunded = payments.filter((p) => p.kind === 'refund').length;
    expect(refunded).toBe(charged);
  });

  it('two confirms of one hold at once: one wins, the twin is 409, the money is charged once and kept', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 900, capacity: 20 }],
    });
    const buyers = await bulkUsers(t.app, 10);
    for (const buyer of buyers) {
      const hold = (await reserve(t.app, buyer, { eventId: event.id, quantity: 2 })).json();
      const results = await Promise.all([confirm(t.app, buyer, hold.id), confirm(t.app, buyer, hold.id)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      const payments = await t.db.db
        .selectFrom('payments')
        .select(['kind', 'amountCents'])
        .where('bookingId', '=', hold.id)
        .execute();
      // Found by the property test: the losing twin used to refund the winner's own charge.
      expect(payments).toEqual([{ kind: 'charge', amountCents: 1800 }]);
      const after = (
        await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${hold.id}`, headers: auth(buyer) })
      ).json();
      expect(after.status).toBe('confirmed');
      expect(after.tickets).toHaveLength(2);
    }
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('cancel twice at once: one 200, one 409, seats returned once', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 10 }],
    });
    const buyers = await bulkUsers(t.app, 10);
    for (const buyer of buyers) {
      const hold = (
        await reserve(t.app, buyer, { eventId: event.id, quantity: 1, paymentToken: 'tok_visa' })
      ).json();
      const results = await Promise.all([
        cancel(t.app, buyer, hold.id),
        cancel(t.app, buyer, hold.id),
        cancel(t.app, buyer, hold.id),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    }
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0].available).toBe(10);
    const refunds = await t.db.db
      .selectFrom('payments as p')
      .innerJoin('bookings as b', 'b.id', 'p.bookingId')
      .select('p.bookingId')
      .where('p.kind', '=', 'refund')
      .where('b.eventId', '=', event.id)
      .execute();
    expect(new Set(refunds.map((r) => r.bookingId)).size).toBe(refunds.length);
    expect(refunds).toHaveLength(10);
  });

  it('two processes sweeping at once expire every hold exactly once', async () => {
    const second = await createTestApp({ databaseUrl: t.url });
    try {
      const event = await createEvent(t.app, admin, {
        holdTtlSeconds: 1,
        ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 300 }],
      });
      const buyers = await bulkUsers(t.app, 300);
      const holds = await Promise.all(
        buyers.map((b) => reserve(t.app, b, { eventId: event.id, quantity: 1 })),
      );
      expect(holds.every((h) => h.statusCode === 201)).toBe(true);
      const deadline = Math.max(...holds.map((h) => Date.parse(h.json().expiresAt)));
      await expect.poll(() => Date.now() > deadline, { timeout: 5000, interval: 50 }).toBe(true);
      const [a, b, c] = await Promise.all([
        t.app.ctx.bookings.expireDue(7),
        second.app.ctx.bookings.expireDue(7),
        t.app.ctx.bookings.expireDue(13),
      ]);
      expect(a + b + c).toBe(300);
      const report = await expectInventoryConsistent(t.app, admin, event.id);
      expect(report.ticketTypes[0]).toMatchObject({ available: 300, held: 0 });
    } finally {
      await second.close();
    }
  });

  it('several processes on one database reserving the same seats never oversell', async () => {
    const others = await Promise.all([
      createTestApp({ databaseUrl: t.url }),
      createTestApp({ databaseUrl: t.url }),
    ]);
    try {
      const event = await createEvent(t.app, admin, {
        ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 120 }],
      });
      const buyers = await bulkUsers(t.app, 450);
      const apps = [t.app, ...others.map((o) => o.app)];
      const results = await Promise.all(
        buyers.map((b, i) =>
          reserve(apps[i % 3] as typeof t.app, b, { eventId: event.id, quantity: 1 + (i % 2) }),
        ),
      );
      const granted = results
        .filter((r) => r.statusCode === 201)
        .reduce((sum, r) => sum + r.json().quantity, 0);
      expect(granted).toBe(120);
      for (const r of results.filter((x) => x.statusCode !== 201)) {
        expect(r.statusCode).toBe(409);
        expect(['SOLD_OUT', 'INSUFFICIENT_AVAILABILITY']).toContain(r.json().error.code);
      }
      await expectInventoryConsistent(t.app, admin, event.id);
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
  });

  it('a sold-out ticket type reopens for other processes as soon as a seat is cancelled', async () => {
    const other = await createTestApp({ databaseUrl: t.url, background: true });
    try {
      const event = await createEvent(t.app, admin, {
        ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 1 }],
      });
      const [first, second] = await bulkUsers(t.app, 2);
      const hold = (await reserve(t.app, first as Session, { eventId: event.id, quantity: 1 })).json();
      const soldOut = await reserve(other.app, second as Session, { eventId: event.id, quantity: 1 });
      expect(soldOut.json().error.code).toBe('SOLD_OUT');
      expect(other.app.ctx.soldOut.isMarked(event.ticketTypes[0].id)).toBe(true);
      await cancel(t.app, first as Session, hold.id);
      // The NOTIFY reaches the other process's listener: its mark is cleared without waiting out the
      // TTL (isMarked, unlike isSoldOut, never stands down for the probe at 900 ms).
      await expect
        .poll(() => other.app.ctx.soldOut.isMarked(event.ticketTypes[0].id), { timeout: 800, interval: 10 })
        .toBe(false);
      expect(
        (await reserve(other.app, second as Session, { eventId: event.id, quantity: 1 })).statusCode,
      ).toBe(201);
    } finally {
      await other.close();
    }
  });

  it('a probe that finds seats behind a sold-out mark reopens sales at once (a lost signal)', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 2 }],
    });
    const ticketTypeId = event.ticketTypes[0].id;
    const [first, second, third] = await bulkUsers(t.app, 3);
    // As if this process had missed the NOTIFY of a cancellation: marked sold out, seats free.
    t.app.ctx.soldOut.mark(ticketTypeId);
    const marked = await reserve(t.app, first as Session, { eventId: event.id, quantity: 1 });
    expect(marked.json().error.code).toBe('SOLD_OUT');
    // 950 ms into the mark the next request is the probe: it reaches the database and gets a seat.
    t.app.ctx.soldOut.mark(ticketTypeId, Date.now() - 950);
    const probe = await reserve(t.app, second as Session, { eventId: event.id, quantity: 1 });
    expect(probe.statusCode).toBe(201);
    expect(t.app.ctx.soldOut.isMarked(ticketTypeId)).toBe(false);
    expect((await reserve(t.app, third as Session, { eventId: event.id, quantity: 1 })).statusCode).toBe(201);
    // That sold the last seat: the batch marks the type sold out again.
    expect(t.app.ctx.soldOut.isMarked(ticketTypeId)).toBe(true);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('requests queued behind the batch that sells the last seat get their 409 from its mark, not another batch', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 1 }],
    });
    const buyers = await bulkUsers(t.app, 41);
    const lanesBefore = t.app.ctx.bookings.laneStats().batches;
    // The database decides the first two batches at once; their answers are held back here, as
    // if the server's event loop were busy, while the next requests reach the lane.
    const answer = deferred();
    const original = BookingsRepository.prototype.reserveBatch;
    const toDatabase = vi
      .spyOn(BookingsRepository.prototype, 'reserveBatch')
      .mockImplementation(async function (this: BookingsRepository, ...args) {
        const result = await original.apply(this, args);
        await answer.gate;
        return result;
      });
    const calls = async (n: number) => {
      while (toDatabase.mock.calls.length < n) await new Promise((resolve) => setImmediate(resolve));
    };
    const book = (b: Session) => reserve(t.app, b, { eventId: event.id, quantity: 1 });
    try {
      // One buyer takes the only seat. One more batch is written behind it on the pipelined
      // connection (depth 2) and decided by the database; the 39 after that queue in the lane.
      const first = book(buyers[0] as Session);
      await calls(1);
      const second = book(buyers[1] as Session);
      await calls(2);
      const queued = buyers.slice(2).map(book);
      while (t.app.ctx.bookings.laneStats().waiting < 39)
        await new Promise((resolve) => setImmediate(resolve));
      answer.release();
      const results = await Promise.all([first, second, ...queued]);
      expect(countBy(results.map((r) => String(r.statusCode)))).toEqual({ '201': 1, '409': 40 });
      for (const r of results.slice(1)) expect(r.json().error.code).toBe('SOLD_OUT');
      expect(t.app.ctx.bookings.laneStats().batches - lanesBefore).toBe(3);
      // The queued 39 got their 409 from the mark the first batch set: no third round trip.
      expect(toDatabase).toHaveBeenCalledTimes(2);
    } finally {
      toDatabase.mockRestore();
    }
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('the background sweeper expires lapsed holds within a few seconds', async () => {
    const swept = await createTestApp({
      databaseUrl: t.url,
      background: true,
      env: { EXPIRY_SWEEP_MS: '200' },
    });
    try {
      const event = await createEvent(t.app, admin, { holdTtlSeconds: 1 });
      const buyer = await registerUser(t.app);
      const hold = (await reserve(t.app, buyer, { eventId: event.id, quantity: 3 })).json();
      await expect
        .poll(
          async () =>
            (
              await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${hold.id}`, headers: auth(buyer) })
            ).json().status,
          { timeout: 5000, interval: 100 },
        )
        .toBe('expired');
      await expectInventoryConsistent(t.app, admin, event.id);
    } finally {
      await swept.close();
    }
  });
});
