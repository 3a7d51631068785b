import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminSession,
  auth,
  cancel,
  confirm,
  createEvent,
  expectInventoryConsistent,
  registerUser,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

describe('booking lifecycle through the API', () => {
  let t: TestContext;
  let admin: Session;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  const available = async (eventId: string) =>
    (
      await t.app.inject({ method: 'GET', url: `/api/v1/admin/events/${eventId}`, headers: auth(admin) })
    ).json().ticketTypes[0].available as number;

  it('holds seats, confirms with tok_visa and issues one unguessable ticket per seat', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 2500, capacity: 10 }],
    });
    const buyer = await registerUser(t.app);
    const res = await reserve(t.app, buyer, { eventId: event.id, quantity: 3 });
    expect(res.statusCode).toBe(201);
    const hold = res.json();
    expect(hold).toMatchObject({
      status: 'held',
      quantity: 3,
      amountCents: 7500,
      currency: 'USD',
      tickets: [],
      eventId: event.id,
    });
    expect(hold.event).toMatchObject({ id: event.id, name: event.name, venue: { city: 'Lisbon' } });
    const ttl = Date.parse(hold.expiresAt) - Date.parse(hold.createdAt);
    expect(ttl).toBe(300_000);
    // A time-ordered id (UUIDv7, decision #36) whose first 48 bits are the millisecond it was made.
    expect(hold.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const madeAt = Number.parseInt(hold.id.replaceAll('-', '').slice(0, 12), 16);
    expect(Math.abs(madeAt - Date.now())).toBeLessThan(60_000);
    expect(await available(event.id)).toBe(7);

    const paid = await confirm(t.app, buyer, hold.id);
    expect(paid.statusCode).toBe(200);
    const booking = paid.json();
    expect(booking.status).toBe('confirmed');
    expect(booking.confirmedAt).not.toBeNull();
    expect(booking.tickets).toHaveLength(3);
    const codes = booking.tickets.map((x: { code: string }) => x.code);
    expect(new Set(codes).size).toBe(3);
    for (const code of codes) expect(code).toMatch(/^[A-Z0-9]{26}$/);

    const again = await confirm(t.app, buyer, hold.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('INVALID_BOOKING_STATE');
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('a declined payment leaves the hold as it was', async () => {
    const event = await createEvent(t.app, admin);
    const buyer = await registerUser(t.app);
    const hold = (await reserve(t.app, buyer, { eventId: event.id, quantity: 2 })).json();
    const declined = await confirm(t.app, buyer, hold.id, 'tok_chargeDeclined');
    expect(declined.statusCode).toBe(402);
    expect(declined.json().error.code).toBe('PAYMENT_DECLINED');
    const after = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${hold.id}`,
      headers: auth(buyer),
    });
    expect(after.json()).toMatchObject({ status: 'held', expiresAt: hold.expiresAt });
    expect(await available(event.id)).toBe(98);
    expect((await confirm(t.app, buyer, hold.id)).statusCode).toBe(200);
  });

  it('an unknown payment token is 400 and reserves nothing', async () => {
    const event = await createEvent(t.app, admin);
    const buyer = await registerUser(t.app);
    const res = await reserve(t.app, buyer, { eventId: event.id, quantity: 1, paymentToken: 'tok_unknown' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(await available(event.id)).toBe(100);
  });

  it('books in one step with a payment token, and a declined one-step booking leaves nothing', async () => {
    const event = await createEvent(t.app, admin);
    const buyer = await registerUser(t.app);
    const ok = await reserve(t.app, buyer, { eventId: event.id, quantity: 2, paymentToken: 'tok_visa' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ status: 'confirmed', quantity: 2 });
    expect(ok.json().tickets).toHaveLength(2);

    const declined = await reserve(t.app, buyer, {
      eventId: event.id,
      quantity: 3,
      paymentToken: 'tok_chargeDeclined',
    });
    expect(declined.statusCode).toBe(402);
    expect(await available(event.id)).toBe(98);
    const mine = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings', headers: auth(buyer) })
    ).json();
    expect(mine.data).toHaveLength(1);
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.perUserCounters.live).toBe(2);
  });

  it('cancel frees the seats at once and refunds a paid booking; cancelling again is 409', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: 2 }],
    });
    const buyer = await registerUser(t.app);
    const other = await registerUser(t.app);
    const booking = (
      await reserve(t.app, buyer, { eventId: event.id, quantity: 2, paymentToken: 'tok_visa' })
    ).json();
    expect((await reserve(t.app, other, { eventId: event.id, quantity: 1 })).json().error.code).toBe(
      'SOLD_OUT',
    );

    const cancelled = await cancel(t.app, buyer, booking.id);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect(cancelled.json().cancelledAt).not.toBeNull();
    // Freed seats are on sale again immediately, despite the sold-out mark.
    expect((await reserve(t.app, other, { eventId: event.id, quantity: 2 })).statusCode).toBe(201);

    const payments = await t.db.db
      .selectFrom('payments')
      .select(['kind', 'amountCents'])
      .where('bookingId', '=', booking.id)
      .orderBy('kind')
      .execute();
    expect(payments).toEqual([
      { kind: 'charge', amountCents: 2000 },
      { kind: 'refund', amountCents: 2000 },
    ]);
    const twice = await cancel(t.app, buyer, booking.id);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('INVALID_BOOKING_STATE');
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('a confirm after the hold expired is 410 HOLD_EXPIRED and the seats come back', async () => {
    const event = await createEvent(t.app, admin, { holdTtlSeconds: 1 });
    const buyer = await registerUser(t.app);
    const hold = (await reserve(t.app, buyer, { eventId: event.id, quantity: 5 })).json();
    await expect
      .poll(() => Date.now() > Date.parse(hold.expiresAt), { timeout: 5000, interval: 50 })
      .toBe(true);
    const late = await confirm(t.app, buyer, hold.id);
    expect(late.statusCode).toBe(410);
    expect(late.json().error.code).toBe('HOLD_EXPIRED');
    const after = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${hold.id}`,
      headers: auth(buyer),
    });
    expect(after.json().status).toBe('expired');
    expect(await available(event.id)).toBe(100);
    expect((await cancel(t.app, buyer, hold.id)).statusCode).toBe(409);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('refuses draft, cancelled and started events with 409 EVENT_NOT_BOOKABLE, unknown ones with 404', async () => {
    const buyer = await registerUser(t.app);
    const draft = await createEvent(t.app, admin, { status: 'draft' });
    const started = await createEvent(t.app, admin, {
      startsAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const cancelled = await createEvent(t.app, admin);
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/events/${cancelled.id}/cancel`,
      headers: auth(admin),
    });
    for (const event of [draft, started, cancelled]) {
      const res = await reserve(t.app, buyer, { eventId: event.id, quantity: 1 });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('EVENT_NOT_BOOKABLE');
    }
    for (const eventId of [randomUUID(), 'not-a-uuid']) {
      const res = await reserve(t.app, buyer, { eventId, quantity: 1 });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('EVENT_NOT_FOUND');
    }
  });

  it('books by the route the event page primed, and an admin edit after the page view takes effect at once', async () => {
    const event = await createEvent(t.app, admin, {
      maxTicketsPerUser: 2,
      ticketTypes: [
        { name: 'A', priceCents: 100, capacity: 10 },
        { name: 'B', priceCents: 200, capacity: 10 },
      ],
    });
    const buyer = await registerUser(t.app);
    const page = await t.app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` });
    expect(page.statusCode).toBe(200);
    expect((await reserve(t.app, buyer, { eventId: event.id, quantity: 1 })).statusCode).toBe(400);
    const b = event.ticketTypes[1].id;
    const overLimit = await reserve(t.app, buyer, { eventId: event.id, ticketTypeId: b, quantity: 3 });
    expect(overLimit.json().error.code).toBe('TICKET_LIMIT_EXCEEDED');

    const raised = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/events/${event.id}`,
      headers: { ...auth(admin), 'if-match': String(page.json().version) },
      payload: { maxTicketsPerUser: 4 },
    });
    expect(raised.statusCode).toBe(200);
    const held = await reserve(t.app, buyer, { eventId: event.id, ticketTypeId: b, quantity: 3 });
    expect(held.statusCode).toBe(201);
    expect(held.json()).toMatchObject({ ticketTypeId: b, quantity: 3 });
  });

  it('needs ticketTypeId when the event has several, and reports INSUFFICIENT_AVAILABILITY with what is left', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [
        { name: 'A', priceCents: 100, capacity: 3 },
        { name: 'B', priceCents: 200, capacity: 3 },
      ],
    });
    const buyer = await registerUser(t.app);
    const missing = await reserve(t.app, buyer, { eventId: event.id, quantity: 1 });
    expect(missing.statusCode).toBe(400);
    const wrongType = await reserve(t.app, buyer, {
      eventId: event.id,
      ticketTypeId: randomUUID(),
      quantity: 1,
    });
    expect(wrongType.statusCode).toBe(404);
    const b = event.ticketTypes[1].id;
    expect(
      (await reserve(t.app, buyer, { eventId: event.id, ticketTypeId: b, quantity: 2 })).statusCode,
    ).toBe(201);
    const tooMany = await reserve(t.app, buyer, { eventId: event.id, ticketTypeId: b, quantity: 2 });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().error).toMatchObject({
      code: 'INSUFFICIENT_AVAILABILITY',
      details: { available: 1 },
    });
  });

  it('admin cancel of an event cancels every held and confirmed booking and refunds the paid ones', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 1500, capacity: 20 }],
    });
    const buyers = await Promise.all([registerUser(t.app), registerUser(t.app), registerUser(t.app)]);
    const held = (await reserve(t.app, buyers[0] as Session, { eventId: event.id, quantity: 2 })).json();
    const paid = (
      await reserve(t.app, buyers[1] as Session, { eventId: event.id, quantity: 3, paymentToken: 'tok_visa' })
    ).json();
    const done = (await reserve(t.app, buyers[2] as Session, { eventId: event.id, quantity: 1 })).json();
    await cancel(t.app, buyers[2] as Session, done.id);

    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/events/${event.id}/cancel`,
      headers: auth(admin),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', available: 20 });
    for (const [buyer, booking] of [
      [buyers[0], held],
      [buyers[1], paid],
    ] as const) {
      const after = (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/bookings/${booking.id}`,
          headers: auth(buyer as Session),
        })
      ).json();
      expect(after.status).toBe('cancelled');
    }
    const refunds = await t.db.db
      .selectFrom('payments')
      .select(['bookingId', 'amountCents'])
      .where('kind', '=', 'refund')
      .where('bookingId', '=', paid.id)
      .execute();
    expect(refunds).toEqual([{ bookingId: paid.id, amountCents: 4500 }]);
    const tickets = await t.db.db
      .selectFrom('tickets')
      .select('status')
      .where('bookingId', '=', paid.id)
      .execute();
    expect(tickets.map((x) => x.status)).toEqual(['void', 'void', 'void']);
    await expectInventoryConsistent(t.app, admin, event.id);
    // Cancelling twice changes nothing.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/events/${event.id}/cancel`,
          headers: auth(admin),
        })
      ).statusCode,
    ).toBe(200);
  });

  it('another user’s booking is 404 everywhere, like an unknown one', async () => {
    const event = await createEvent(t.app, admin);
    const owner = await registerUser(t.app);
    const stranger = await registerUser(t.app);
    const hold = (await reserve(t.app, owner, { eventId: event.id, quantity: 1 })).json();
    for (const res of [
      await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${hold.id}`, headers: auth(stranger) }),
      await confirm(t.app, stranger, hold.id),
      await cancel(t.app, stranger, hold.id),
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings/not-an-id', headers: auth(owner) }),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('BOOKING_NOT_FOUND');
    }
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${hold.id}`, headers: auth(owner) })).json()
        .status,
    ).toBe('held');
  });

  it('lists upcoming soonest first, past most recent first, and all as upcoming then past, with cursor pages and tickets', async () => {
    const buyer = await registerUser(t.app);
    const days = [3, 1, 2];
    const events: { id: string }[] = [];
    for (const d of days) {
      events.push(
        await createEvent(t.app, admin, { startsAt: new Date(Date.now() + d * 86_400_000).toISOString() }),
      );
    }
    for (const e of events)
      await reserve(t.app, buyer, { eventId: e.id, quantity: 1, paymentToken: 'tok_visa' });
    // Move two events into the past (organisers can reschedule), making their bookings "past".
    const pastEvents: { id: string }[] = [];
    for (const daysAgo of [2, 1]) {
      const moved = await createEvent(t.app, admin);
      await reserve(t.app, buyer, { eventId: moved.id, quantity: 1 });
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/admin/events/${moved.id}`,
        headers: auth(admin),
        payload: { startsAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString() },
      });
      pastEvents.push(moved);
    }
    const [older, old] = pastEvents as [{ id: string }, { id: string }];

    const page1 = (
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/bookings?scope=upcoming&limit=2',
        headers: auth(buyer),
      })
    ).json();
    const page2 = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/bookings?scope=upcoming&limit=2&cursor=${page1.nextCursor}`,
        headers: auth(buyer),
      })
    ).json();
    const upcomingDays = [...page1.data, ...page2.data].map((b: { eventId: string }) =>
      events.findIndex((e) => e.id === b.eventId),
    );
    expect(upcomingDays).toEqual([1, 2, 0]);
    expect(page2.nextCursor).toBeNull();
    expect(page1.data[0].tickets).toHaveLength(1);

    const past = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?scope=past', headers: auth(buyer) })
    ).json();
    expect(past.data.map((b: { eventId: string }) => b.eventId)).toEqual([old.id, older.id]);
    const held = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?status=held', headers: auth(buyer) })
    ).json();
    expect(held.data).toHaveLength(2);
    // All: the upcoming ones soonest first, then the past ones most recent first, across pages
    // (a page boundary inside the upcoming ones, then one between the two past ones).
    const expected = [events[1], events[2], events[0], old, older].map((e) => e?.id);
    const all = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?scope=all', headers: auth(buyer) })
    ).json();
    expect(all.data.map((b: { eventId: string }) => b.eventId)).toEqual(expected);
    for (const pageSize of [2, 4]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/bookings?limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await t.app.inject({ method: 'GET', url, headers: auth(buyer) })).json();
        seen.push(...page.data.map((b: { eventId: string }) => b.eventId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen, `pages of ${pageSize}`).toEqual(expected);
    }
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/bookings?scope=soon',
      headers: auth(buyer),
    });
    expect(bad.statusCode).toBe(400);
  });
});
