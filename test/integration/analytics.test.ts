import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyRollups } from '../../src/modules/analytics/analytics.verification.js';
import {
  adminSession,
  auth,
  cancel,
  confirm,
  createEvent,
  registerUser,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { bulkUsers } from '../helpers/users.js';

// ---- Expected figures, computed from the bookings the test made (as their owners see them) ----

interface BookingView {
  id: string;
  status: 'held' | 'confirmed' | 'cancelled' | 'expired';
  eventId: string;
  ticketTypeId: string;
  quantity: number;
  amountCents: number;
  currency: string;
  createdAt: string;
  confirmedAt: string | null;
  cancelledAt: string | null;
}

interface CurrencyRevenue {
  currency: string;
  revenueCents: number;
}

interface DailyRow {
  date: string;
  bookings: number;
  ticketsSold: number;
  revenueCents: number;
  revenueByCurrency: CurrencyRevenue[];
  cancellations: number;
}

interface EventSpec {
  id: string;
  name: string;
  startsAt: string;
  status: string;
  ticketTypes: { id: string; name: string; capacity: number }[];
}

type Ten<T> = [T, T, T, T, T, T, T, T, T, T];

const DAY_MS = 86_400_000;
const utcDay = (timestamp: string | Date) => new Date(timestamp).toISOString().slice(0, 10);
const shiftDay = (day: string, days: number) =>
  utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
const daysOf = (from: string, to: string) => {
  const days: string[] = [];
  for (let d = from; d <= to; d = shiftDay(d, 1)) days.push(d);
  return days;
};
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const sumOf = <T>(items: T[], pick: (item: T) => number) =>
  items.reduce((total, item) => total + pick(item), 0);
/** Amounts added up per currency: currencies in alphabetical order, those netting 0 left out. */
const perCurrency = (amounts: CurrencyRevenue[]): CurrencyRevenue[] => {
  const totals = new Map<string, number>();
  for (const a of amounts) totals.set(a.currency, (totals.get(a.currency) ?? 0) + a.revenueCents);
  return [...totals]
    .filter(([, cents]) => cents !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, revenueCents]) => ({ currency, revenueCents }));
};
const sale = (b: BookingView): CurrencyRevenue => ({ currency: b.currency, revenueCents: b.amountCents });

/**
 * The definitions, applied booking by booking: created that day counts a booking; confirmed (and
 * not cancelled since) counts its tickets and its price on the day of confirmation; cancelled
 * counts a cancellation on the day of cancellation and nets no revenue (paid, then refunded).
 */
function expectedDaily(bookings: BookingView[], from: string, to: string): DailyRow[] {
  const rows = new Map(
    daysOf(from, to).map((date) => [
      date,
      {
        date,
        bookings: 0,
        ticketsSold: 0,
        revenueCents: 0,
        revenueByCurrency: [] as CurrencyRevenue[],
        cancellations: 0,
      },
    ]),
  );
  const on = (timestamp: string | null, apply: (row: DailyRow) => void) => {
    const row = timestamp ? rows.get(utcDay(timestamp)) : undefined;
    if (row) apply(row);
  };
  for (const b of bookings) {
    on(b.createdAt, (r) => {
      r.bookings += 1;
    });
    if (b.status === 'confirmed') {
      on(b.confirmedAt, (r) => {
        r.ticketsSold += b.quantity;
        r.revenueCents += b.amountCents;
        r.revenueByCurrency = perCurrency([...r.revenueByCurrency, sale(b)]);
      });
    }
    if (b.status === 'cancelled') {
      on(b.cancelledAt, (r) => {
        r.cancellations += 1;
      });
    }
  }
  return [...rows.values()];
}

function currentState(event: EventSpec, bookings: BookingView[]) {
  const mine = bookings.filter((b) => b.eventId === event.id);
  const types = event.ticketTypes.map((tt) => {
    const of = mine.filter((b) => b.ticketTypeId === tt.id);
    const sold = sumOf(
      of.filter((b) => b.status === 'confirmed'),
      (b) => b.quantity,
    );
    const held = sumOf(
      of.filter((b) => b.status === 'held'),
      (b) => b.quantity,
    );
    return {
      id: tt.id,
      name: tt.name,
      capacity: tt.capacity,
      sold,
      held,
      available: tt.capacity - sold - held,
    };
  });
  const capacity = sumOf(types, (t) => t.capacity);
  const sold = sumOf(types, (t) => t.sold);
  return { types, capacity, sold, held: sumOf(types, (t) => t.held), utilization: ratio(sold, capacity) };
}

function expectedSummary(events: EventSpec[], bookings: BookingView[], from: string, to: string) {
  const daily = expectedDaily(bookings, from, to);
  const totals = {
    bookings: sumOf(daily, (d) => d.bookings),
    ticketsSold: sumOf(daily, (d) => d.ticketsSold),
    revenueCents: sumOf(daily, (d) => d.revenueCents),
    revenueByCurrency: perCurrency(daily.flatMap((d) => d.revenueByCurrency)),
    cancellations: sumOf(daily, (d) => d.cancellations),
    cancellationRate: 0,
  };
  totals.cancellationRate = ratio(totals.cancellations, totals.bookings);
  const perEvent = events.map((event) => {
    const rows = expectedDaily(
      bookings.filter((b) => b.eventId === event.id),
      from,
      to,
    );
    const active = rows.some((r) => r.bookings || r.ticketsSold || r.revenueCents || r.cancellations);
    const startsInPeriod =
      utcDay(event.startsAt) >= from && utcDay(event.startsAt) <= to && event.status !== 'draft';
    return {
      event,
      state: currentState(event, bookings),
      ticketsSold: sumOf(rows, (r) => r.ticketsSold),
      revenueCents: sumOf(rows, (r) => r.revenueCents),
      revenueByCurrency: perCurrency(rows.flatMap((r) => r.revenueByCurrency)),
      listed: active || startsInPeriod,
    };
  });
  const byName = (a: { event: EventSpec }, b: { event: EventSpec }) => (a.event.name < b.event.name ? -1 : 1);
  return {
    totals,
    topEvents: perEvent
      .filter((e) => e.ticketsSold > 0)
      .sort((a, b) => b.ticketsSold - a.ticketsSold || byName(a, b))
      .slice(0, 10)
      .map((e) => ({
        eventId: e.event.id,
        name: e.event.name,
        ticketsSold: e.ticketsSold,
        revenueCents: e.revenueCents,
        revenueByCurrency: e.revenueByCurrency,
        utilization: e.state.utilization,
      })),
    utilization: perEvent
      .filter((e) => e.listed)
      .sort((a, b) => b.state.utilization - a.state.utilization || byName(a, b))
      .map((e) => ({
        eventId: e.event.id,
        name: e.event.name,
        capacity: e.state.capacity,
        sold: e.state.sold,
        held: e.state.held,
        utilization: e.state.utilization,
      })),
  };
}

function expectedStats(event: EventSpec, bookings: BookingView[], from: string, to: string) {
  const mine = bookings.filter((b) => b.eventId === event.id);
  const state = currentState(event, bookings);
  const cancellations = mine.filter((b) => b.status === 'cancelled').length;
  return {
    eventId: event.id,
    capacity: state.capacity,
    sold: state.sold,
    held: state.held,
    available: state.capacity - state.sold - state.held,
    utilization: state.utilization,
    revenueCents: sumOf(
      mine.filter((b) => b.status === 'confirmed'),
      (b) => b.amountCents,
    ),
    revenueByCurrency: perCurrency(mine.filter((b) => b.status === 'confirmed').map(sale)),
    cancellations,
    cancellationRate: ratio(cancellations, mine.length),
    ticketTypes: state.types,
    daily: expectedDaily(mine, from, to),
  };
}

// ---- CSV, parsed back (RFC 4180) ----

function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field, 'the last line ends with CRLF').toBe('');
  const [header, ...body] = rows;
  for (const r of body) expect(r).toHaveLength(header?.length ?? 0);
  return body.map((r) => Object.fromEntries((header ?? []).map((name, i) => [name, r[i] ?? ''])));
}

const num = (value: string | undefined) => Number(value);
/** `EUR 12500; GBP 3500` back to [{currency, revenueCents}]. */
const currenciesFromCsv = (cell: string | undefined): CurrencyRevenue[] =>
  cell
    ? cell.split('; ').map((part) => {
        const [currency, cents] = part.split(' ');
        return { currency: currency as string, revenueCents: num(cents) };
      })
    : [];
const dailyFromCsv = (r: Record<string, string>): DailyRow => ({
  date: r.date as string,
  bookings: num(r.bookings),
  ticketsSold: num(r.ticketsSold),
  revenueCents: num(r.revenueCents),
  revenueByCurrency: currenciesFromCsv(r.revenueByCurrency),
  cancellations: num(r.cancellations),
});

// ---- The story ----

describe('admin analytics over a day of sales', () => {
  let t: TestContext;
  let admin: Session;
  const owners = new Map<string, Session>();
  const events: EventSpec[] = [];
  let bookings: BookingView[] = [];
  let today: string;
  let alpha: EventSpec;
  let bravo: EventSpec;
  let charlie: EventSpec;
  let delta: EventSpec;
  let foxtrot: EventSpec;

  const get = (url: string, session: Session = admin, accept?: string) =>
    t.app.inject({ method: 'GET', url, headers: { ...auth(session), ...(accept ? { accept } : {}) } });

  async function book(session: Session, payload: Record<string, unknown>, status = 201): Promise<string> {
    const res = await reserve(t.app, session, payload);
    expect(res.statusCode, res.body).toBe(status);
    if (status !== 201) return '';
    owners.set(res.json().id, session);
    return res.json().id;
  }

  async function newEvent(overrides: Record<string, unknown>): Promise<EventSpec> {
    const event = (await createEvent(t.app, admin, overrides)) as EventSpec;
    events.push(event);
    return event;
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
    const buyers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => registerUser(t.app, `Buyer ${i + 1}`)),
    );
    const [u1, u2, u3, u4, u5, u6, u7, u8, u9, u10] = buyers as Ten<Session>;
    const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();
    const tag = `Analytics ${randomUUID().slice(0, 6)}`;

    alpha = await newEvent({
      name: `${tag} Alpha, "the big one"`,
      // Two currencies in one event: revenue must be reported per currency, never added as money.
      ticketTypes: [
        { name: 'GA', priceCents: 2500, capacity: 100 },
        { name: 'VIP', priceCents: 9000, currency: 'GBP', capacity: 20 },
      ],
    });
    bravo = await newEvent({
      name: `${tag} Bravo`,
      holdTtlSeconds: 1,
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: 50 }],
    });
    charlie = await newEvent({
      name: `${tag} Charlie`,
      ticketTypes: [{ name: 'GA', priceCents: 4000, capacity: 30 }],
    });
    delta = await newEvent({ name: `${tag} Delta`, startsAt: inDays(5) });
    await newEvent({ name: `${tag} Echo (draft)`, startsAt: inDays(5), status: 'draft' });
    foxtrot = await newEvent({
      name: `${tag} Foxtrot`,
      ticketTypes: [{ name: 'GA', priceCents: 1500, capacity: 10 }],
    });
    const golf = await newEvent({ name: `${tag} Golf` });
    const [ga, vip] = alpha.ticketTypes as [EventSpec['ticketTypes'][0], EventSpec['ticketTypes'][0]];

    // Alpha: a two-phase sale, a one-step sale, a hold cancelled, a sale cancelled (refunded),
    // a declined one-step booking (leaves nothing) and a live hold.
    const a1 = await book(u1, { eventId: alpha.id, ticketTypeId: ga.id, quantity: 2 });
    expect((await confirm(t.app, u1, a1)).statusCode).toBe(200);
    await book(u2, { eventId: alpha.id, ticketTypeId: vip.id, quantity: 3, paymentToken: 'tok_visa' });
    const a3 = await book(u3, { eventId: alpha.id, ticketTypeId: ga.id, quantity: 1 });
    expect((await cancel(t.app, u3, a3)).statusCode).toBe(200);
    const a4 = await book(u4, {
      eventId: alpha.id,
      ticketTypeId: ga.id,
      quantity: 2,
      paymentToken: 'tok_visa',
    });
    expect((await cancel(t.app, u4, a4)).statusCode).toBe(200);
    await book(
      u5,
      { eventId: alpha.id, ticketTypeId: ga.id, quantity: 1, paymentToken: 'tok_chargeDeclined' },
      402,
    );
    await book(u6, { eventId: alpha.id, ticketTypeId: vip.id, quantity: 1 });

    // Bravo: a hold that lapses and is expired by the sweep.
    const b1 = await book(u7, { eventId: bravo.id, quantity: 2 });

    // Charlie: two sales and a hold, then the admin cancels the event (all refunded).
    await book(u8, { eventId: charlie.id, quantity: 2, paymentToken: 'tok_visa' });
    const c2 = await book(u9, { eventId: charlie.id, quantity: 1 });
    expect((await confirm(t.app, u9, c2)).statusCode).toBe(200);
    await book(u10, { eventId: charlie.id, quantity: 1 });
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/events/${charlie.id}/cancel`,
      headers: auth(admin),
    });
    expect(cancelled.statusCode).toBe(200);

    // Foxtrot: one sale. Golf: only a declined booking, which leaves no trace.
    await book(u1, { eventId: foxtrot.id, quantity: 4, paymentToken: 'tok_visa' });
    await book(u2, { eventId: golf.id, quantity: 1, paymentToken: 'tok_chargeDeclined' }, 402);

    await vi.waitFor(
      async () => {
        await t.app.ctx.bookings.expireDue();
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b1}`, headers: auth(u7) });
        expect(res.json().status).toBe('expired');
      },
      { timeout: 15_000, interval: 200 },
    );

    bookings = await Promise.all(
      [...owners].map(async ([id, owner]) => {
        const res = await t.app.inject({
          method: 'GET',
          url: `/api/v1/bookings/${id}`,
          headers: auth(owner),
        });
        expect(res.statusCode).toBe(200);
        return res.json() as BookingView;
      }),
    );
    today = utcDay(new Date());
  });
  afterAll(() => t.close());

  it('keeps every rollup equal to a recomputation from the bookings table', async () => {
    const report = await verifyRollups(t.app.ctx.dbHandle.db);
    expect(report.mismatches).toEqual([]);
    expect(report.consistent).toBe(true);
    expect(report.checked.ticket_type_stats).toBeGreaterThan(0);
  });

  it('totals the period: bookings made, tickets sold net of cancellations, revenue net of refunds', async () => {
    const from = shiftDay(today, -2);
    const res = await get(`/api/v1/admin/analytics/summary?from=${from}&to=${today}`);
    expect(res.statusCode, res.body).toBe(200);
    // Alpha 5 + Bravo 1 + Charlie 3 + Foxtrot 1 (declined ones leave nothing); sold: Alpha 2 GA +
    // 3 VIP, Foxtrot 4; revenue 2 x 2500 USD + 3 x 9000 GBP + 4 x 1500 USD; cancelled: 2 in Alpha,
    // 3 in Charlie. revenueCents adds the minor units of both currencies, as the contract has it.
    expect(res.json().totals).toEqual({
      bookings: 10,
      ticketsSold: 9,
      revenueCents: 38_000,
      revenueByCurrency: [
        { currency: 'GBP', revenueCents: 27_000 },
        { currency: 'USD', revenueCents: 11_000 },
      ],
      cancellations: 5,
      cancellationRate: 0.5,
    });
    expect(res.json()).toEqual(expectedSummary(events, bookings, from, today));
    expect(res.json().topEvents.map((e: { eventId: string }) => e.eventId)).toEqual([alpha.id, foxtrot.id]);
  });

  it('lists events starting in the period in utilization, drafts aside', async () => {
    const from = shiftDay(today, -1);
    const to = shiftDay(today, 8);
    const res = await get(`/api/v1/admin/analytics/summary?from=${from}&to=${to}`);
    expect(res.statusCode).toBe(200);
    const expected = expectedSummary(events, bookings, from, to);
    expect(res.json()).toEqual(expected);
    const listed = res.json().utilization.map((e: { eventId: string }) => e.eventId);
    expect(listed).toContain(delta.id);
    expect(listed).toHaveLength(events.length - 1);
    expect(res.json().utilization[0]).toMatchObject({
      eventId: foxtrot.id,
      capacity: 10,
      sold: 4,
      utilization: 0.4,
    });
  });

  it('answers one row per day, zeros included, for the platform and for one event', async () => {
    const from = shiftDay(today, -3);
    const all = await get(`/api/v1/admin/analytics/daily?from=${from}&to=${today}`);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ data: expectedDaily(bookings, from, today) });
    expect(all.json().data).toHaveLength(4);
    expect(all.json().data[0]).toEqual({
      date: from,
      bookings: 0,
      ticketsSold: 0,
      revenueCents: 0,
      revenueByCurrency: [],
      cancellations: 0,
    });

    for (const event of [alpha, bravo, charlie, delta]) {
      const one = await get(`/api/v1/admin/analytics/daily?from=${from}&to=${today}&eventId=${event.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual({
        data: expectedDaily(
          bookings.filter((b) => b.eventId === event.id),
          from,
          today,
        ),
      });
    }
  });

  it('defaults to the last 30 days ending today (UTC)', async () => {
    const res = await get('/api/v1/admin/analytics/daily');
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toHaveLength(30);
    expect(data[29].date).toBe(today);
    expect(data[0].date).toBe(shiftDay(today, -29));
    const summary = await get('/api/v1/admin/analytics/summary');
    expect(summary.json().totals.bookings).toBe(10);
  });

  it('reports one event: sold, held and available per ticket type, lifetime money, daily rows', async () => {
    const from = shiftDay(today, -2);
    for (const event of [alpha, bravo, charlie, delta, foxtrot]) {
      const res = await get(`/api/v1/admin/events/${event.id}/stats?from=${from}&to=${today}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual(expectedStats(event, bookings, from, today));
    }
    const alphaStats = (await get(`/api/v1/admin/events/${alpha.id}/stats`)).json();
    expect(alphaStats).toMatchObject({
      capacity: 120,
      sold: 5,
      held: 1,
      available: 114,
      revenueCents: 32_000,
      revenueByCurrency: [
        { currency: 'GBP', revenueCents: 27_000 },
        { currency: 'USD', revenueCents: 5_000 },
      ],
      cancellations: 2,
      cancellationRate: 2 / 5,
    });
    expect(alphaStats.daily).toHaveLength(30);
    expect(alphaStats.ticketTypes.map((tt: { name: string }) => tt.name)).toEqual(['GA', 'VIP']);

    // The figures agree with the booking engine's own inventory count.
    const inventory = await get(`/api/v1/admin/events/${alpha.id}/inventory`);
    for (const tt of inventory.json().ticketTypes) {
      const mine = alphaStats.ticketTypes.find((s: { id: string }) => s.id === tt.id);
      expect(mine).toMatchObject({
        sold: tt.confirmed,
        held: tt.held,
        available: tt.available,
        capacity: tt.capacity,
      });
    }
  });

  it('answers CSV with Accept: text/csv, and the CSV parses back to the same numbers', async () => {
    const from = shiftDay(today, -2);
    const query = `from=${from}&to=${today}`;

    const daily = await get(`/api/v1/admin/analytics/daily?${query}`, admin, 'text/csv');
    expect(daily.statusCode).toBe(200);
    expect(daily.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(daily.headers['content-disposition']).toMatch(/^attachment; filename="[\w.-]+\.csv"$/);
    expect(daily.body.split('\r\n')[0]).toBe(
      'date,bookings,ticketsSold,revenueCents,cancellations,revenueByCurrency',
    );
    expect(parseCsv(daily.body).map(dailyFromCsv)).toEqual(
      (await get(`/api/v1/admin/analytics/daily?${query}`)).json().data,
    );

    const summaryJson = (await get(`/api/v1/admin/analytics/summary?${query}`)).json();
    const summaryCsv = await get(`/api/v1/admin/analytics/summary?${query}`, admin, 'text/csv');
    expect(summaryCsv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(summaryCsv.headers['content-disposition']).toMatch(/^attachment; filename=".+\.csv"$/);
    const rows = parseCsv(summaryCsv.body);
    const section = (name: string) => rows.filter((r) => r.section === name);
    const [totals] = section('totals');
    expect({
      totals: {
        bookings: num(totals?.bookings),
        ticketsSold: num(totals?.ticketsSold),
        revenueCents: num(totals?.revenueCents),
        revenueByCurrency: currenciesFromCsv(totals?.revenueByCurrency),
        cancellations: num(totals?.cancellations),
        cancellationRate: num(totals?.cancellationRate),
      },
      topEvents: section('topEvents').map((r) => ({
        eventId: r.eventId,
        name: r.name,
        ticketsSold: num(r.ticketsSold),
        revenueCents: num(r.revenueCents),
        revenueByCurrency: currenciesFromCsv(r.revenueByCurrency),
        utilization: num(r.utilization),
      })),
      utilization: section('utilization').map((r) => ({
        eventId: r.eventId,
        name: r.name,
        capacity: num(r.capacity),
        sold: num(r.sold),
        held: num(r.held),
        utilization: num(r.utilization),
      })),
    }).toEqual(summaryJson);
    // The event name with a comma and quotes survived the quoting.
    expect(section('topEvents')[0]?.name).toBe(alpha.name);

    const statsJson = (await get(`/api/v1/admin/events/${alpha.id}/stats?${query}`)).json();
    const statsCsv = await get(`/api/v1/admin/events/${alpha.id}/stats?${query}`, admin, 'text/csv');
    expect(statsCsv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const statRows = parseCsv(statsCsv.body);
    const [eventRow] = statRows.filter((r) => r.section === 'event');
    expect({
      eventId: eventRow?.id,
      capacity: num(eventRow?.capacity),
      sold: num(eventRow?.sold),
      held: num(eventRow?.held),
      available: num(eventRow?.available),
      utilization: num(eventRow?.utilization),
      revenueCents: num(eventRow?.revenueCents),
      revenueByCurrency: currenciesFromCsv(eventRow?.revenueByCurrency),
      cancellations: num(eventRow?.cancellations),
      cancellationRate: num(eventRow?.cancellationRate),
      ticketTypes: statRows
        .filter((r) => r.section === 'ticketType')
        .map((r) => ({
          id: r.id,
          name: r.name,
          capacity: num(r.capacity),
          sold: num(r.sold),
          held: num(r.held),
          available: num(r.available),
        })),
      daily: statRows.filter((r) => r.section === 'daily').map(dailyFromCsv),
    }).toEqual(statsJson);
  });

  it('keeps JSON for Accept: application/json and */*', async () => {
    for (const accept of ['application/json', '*/*']) {
      const res = await get('/api/v1/admin/analytics/daily', admin, accept);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json().data).toHaveLength(30);
    }
  });
});

/** Day `day` of the month `monthsBack` months before this one (day 0: the last day of the month before). */
function monthDay(monthsBack: number, day = 1): string {
  const now = new Date();
  return utcDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack, day)));
}

/** A moment in the month `monthsBack` months ago: its first second, its last minutes, the 2nd or the 15th. */
function atSpot(monthsBack: number, spot: number): Date {
  const now = new Date();
  const [day, time] = [
    [1, '00:00:01'],
    [0, '23:58:00'],
    [2, '10:00:00'],
    [15, '12:00:00'],
  ][spot] as [number, string];
  const month = spot === 1 ? now.getUTCMonth() - monthsBack + 1 : now.getUTCMonth() - monthsBack;
  return new Date(`${utcDay(new Date(Date.UTC(now.getUTCFullYear(), month, day)))}T${time}Z`);
}

describe('admin analytics over months of history', () => {
  // Bookings made through the API, then moved back in time with SQL as if they had been made over
  // the past year: the triggers move their contributions, and every report must follow, whether a
  // period is read from whole months, loose days or both.
  let t: TestContext;
  let admin: Session;
  const events: EventSpec[] = [];
  let bookings: BookingView[] = [];
  let today: string;

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: auth(admin) });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
    events.push(
      await createEvent(t.app, admin, {
        name: 'History Xray',
        ticketTypes: [
          { name: 'GA', priceCents: 3000, capacity: 200 },
          { name: 'Balcony', priceCents: 4500, capacity: 50 },
        ],
      }),
      await createEvent(t.app, admin, {
        name: 'History Yankee',
        ticketTypes: [{ name: 'GA', priceCents: 1800, capacity: 80 }],
      }),
    );
    const buyers = await bulkUsers(t.app, 36);
    const owners = new Map<string, Session>();
    for (const [i, buyer] of buyers.entries()) {
      const event = events[i % 2] as EventSpec;
      const ticketType = event.ticketTypes[i % event.ticketTypes.length] as EventSpec['ticketTypes'][0];
      const fate = i % 6;
      const oneStep = fate === 1 || fate === 3;
      const res = await reserve(t.app, buyer, {
        eventId: event.id,
        ticketTypeId: ticketType.id,
        quantity: 1 + (i % 3),
        ...(oneStep ? { paymentToken: 'tok_visa' } : {}),
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().id as string;
      owners.set(id, buyer);
      if (fate === 0 || fate === 5) expect((await confirm(t.app, buyer, id)).statusCode).toBe(200);
      if (fate === 2 || fate === 3 || fate === 5)
        expect((await cancel(t.app, buyer, id)).statusCode).toBe(200);
      if (fate === 4) continue; // a live hold stays where it is
      // Every (month 1..9 back, spot in the month) pair once: the first second of a month, its
      // last minutes (some paid before midnight, some after, in the next month), the 2nd, the 15th.
      // A cancellation lands up to 20 days later, never in the future.
      const created = atSpot(1 + (i % 9), i % 4);
      const confirmedAt = new Date(created.getTime() + (i % 8 === 5 ? 150_000 : 60_000));
      const cancelledAt = new Date(
        Math.min(created.getTime() + ((i * 7) % 21) * DAY_MS + 600_000, Date.now() - 60_000),
      );
      await sql`
        UPDATE bookings
           SET created_at = ${created}, expires_at = ${new Date(created.getTime() + 300_000)},
               confirmed_at = CASE WHEN confirmed_at IS NULL THEN NULL ELSE ${confirmedAt}::timestamptz END,
               cancelled_at = CASE WHEN cancelled_at IS NULL THEN NULL ELSE ${cancelledAt}::timestamptz END
         WHERE id = ${id}`.execute(t.app.ctx.dbHandle.db);
    }
    bookings = await Promise.all(
      [...owners].map(async ([id, owner]) => {
        const res = await t.app.inject({
          method: 'GET',
          url: `/api/v1/bookings/${id}`,
          headers: auth(owner),
        });
        return res.json() as BookingView;
      }),
    );
    today = utcDay(new Date());
  });
  afterAll(() => t.close());

  it('spread the bookings over many days and months', () => {
    expect(new Set(bookings.map((b) => b.createdAt.slice(0, 7))).size).toBeGreaterThan(6);
  });

  it('keeps every rollup equal to a recomputation from the bookings table', async () => {
    const report = await verifyRollups(t.app.ctx.dbHandle.db);
    expect(report.mismatches).toEqual([]);
    expect(report.checked.event_monthly_stats).toBeGreaterThan(6);
  });

  it('answers every kind of period exactly: a year, whole months, and months with loose days', async () => {
    const periods: [string, string][] = [
      [shiftDay(today, -364), today],
      [shiftDay(today, -365), today],
      // Whole months only.
      [monthDay(6), monthDay(1, 0)],
      // Loose days on both sides of whole months, with sales on the last and the first day.
      [monthDay(8, 15), monthDay(1, 10)],
      [monthDay(8, 0), monthDay(3, 15)],
      // Within one month, and across month ends (a sale paid after midnight on the 1st).
      [monthDay(4, 2), monthDay(4, 15)],
      [monthDay(4, 0), monthDay(4, 1)],
      [monthDay(1, 0), monthDay(1, 1)],
    ];
    for (const [from, to] of periods) {
      const summary = await get(`/api/v1/admin/analytics/summary?from=${from}&to=${to}`);
      expect(summary.statusCode, `${from}..${to}: ${summary.body}`).toBe(200);
      expect(summary.json(), `${from}..${to}`).toEqual(expectedSummary(events, bookings, from, to));
      const daily = await get(`/api/v1/admin/analytics/daily?from=${from}&to=${to}`);
      expect(daily.json().data).toEqual(expectedDaily(bookings, from, to));
      for (const event of events) {
        const stats = await get(`/api/v1/admin/events/${event.id}/stats?from=${from}&to=${to}`);
        expect(stats.json()).toEqual(expectedStats(event, bookings, from, to));
      }
    }
  });
});

describe('admin analytics input and access', () => {
  let t: TestContext;
  let admin: Session;
  let user: Session;
  let eventId: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
    user = await registerUser(t.app);
    eventId = (await createEvent(t.app, admin)).id;
  });
  afterAll(() => t.close());

  const get = (url: string, session?: Session) =>
    t.app.inject({ method: 'GET', url, headers: session ? auth(session) : {} });

  const urls = () => [
    '/api/v1/admin/analytics/summary',
    '/api/v1/admin/analytics/daily',
    `/api/v1/admin/events/${eventId}/stats`,
  ];

  it('answers 401 without a token and 403 to a user who is not an admin', async () => {
    for (const url of urls()) {
      const anonymous = await get(url);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
      const denied = await get(url, user);
      expect(denied.statusCode).toBe(403);
      expect(denied.json().error.code).toBe('FORBIDDEN');
      // Even with bad input, authentication comes first.
      expect((await get(`${url}?from=nonsense`, user)).statusCode).toBe(403);
    }
  });

  it('refuses from after to, a range over 366 days and malformed dates with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['from=2024-03-02&to=2024-03-01', 'from'],
      ['from=2023-01-01&to=2024-01-02', 'to'],
      ['from=2024-02-30', 'from'],
      ['to=yesterday', 'to'],
      ['from=2024-1-01', 'from'],
      ['bogus=1', 'bogus'],
    ];
    for (const url of urls()) {
      for (const [query, field] of cases) {
        const res = await get(`${url}?${query}`, admin);
        expect(res.statusCode, `${url}?${query}`).toBe(400);
        const error = res.json().error;
        expect(error.code).toBe('VALIDATION_FAILED');
        expect(error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
      }
      // 366 days inclusive is allowed.
      expect((await get(`${url}?from=2024-01-01&to=2024-12-31`, admin)).statusCode).toBe(200);
    }
  });

  it('answers 404 EVENT_NOT_FOUND for an unknown or malformed event id', async () => {
    for (const id of [randomUUID(), 'not-an-id']) {
      const daily = await get(`/api/v1/admin/analytics/daily?eventId=${id}`, admin);
      expect(daily.statusCode).toBe(404);
      expect(daily.json().error.code).toBe('EVENT_NOT_FOUND');
      const stats = await get(`/api/v1/admin/events/${id}/stats`, admin);
      expect(stats.statusCode).toBe(404);
      expect(stats.json().error.code).toBe('EVENT_NOT_FOUND');
    }
  });

  it('describes both JSON and CSV responses in the OpenAPI document', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of [
      '/api/v1/admin/analytics/summary',
      '/api/v1/admin/analytics/daily',
      '/api/v1/admin/events/{id}/stats',
    ]) {
      const operation = spec.paths[path].get;
      expect(Object.keys(operation.responses['200'].content).sort()).toEqual([
        'application/json',
        'text/csv',
      ]);
      expect(operation.description).toContain('cancellationRate');
      expect(operation.responses).toHaveProperty('403');
    }
  });
});

describe('analytics rollups under concurrent booking traffic', () => {
  let t: TestContext;
  let admin: Session;
  beforeAll(async () => {
    t = await createTestApp({ poolSize: 30 });
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  it('when 300 buyers race across two ticket types while others confirm, cancel and expire, rollups stay exact', async () => {
    const event = await createEvent(t.app, admin, {
      holdTtlSeconds: 2,
      ticketTypes: [
        { name: 'A', priceCents: 1200, capacity: 120 },
        { name: 'B', priceCents: 3400, capacity: 80 },
      ],
    });
    const buyers = await bulkUsers(t.app, 300);
    const results = await Promise.all(
      buyers.map((buyer, i) =>
        reserve(t.app, buyer, {
          eventId: event.id,
          ticketTypeId: event.ticketTypes[i % 2].id,
          quantity: 1 + (i % 3),
          ...(i % 4 === 0 ? { paymentToken: i % 8 === 0 ? 'tok_visa' : 'tok_chargeDeclined' } : {}),
        }),
      ),
    );
    const holds = results
      .map((res, i) => ({ res, buyer: buyers[i] as Session, i }))
      .filter(({ res, i }) => res.statusCode === 201 && i % 4 !== 0);
    expect(holds.length).toBeGreaterThan(20);
    // Confirms, cancels and the expiry sweep all at once.
    await Promise.all([
      ...holds.map(({ res, buyer, i }) => {
        const id = res.json().id;
        if (i % 3 === 0) return confirm(t.app, buyer, id);
        if (i % 3 === 1) return cancel(t.app, buyer, id);
        return Promise.resolve();
      }),
      t.app.ctx.bookings.expireDue(),
    ]);
    await vi.waitFor(
      async () => {
        await t.app.ctx.bookings.expireDue();
        const inventory = await t.app.inject({
          method: 'GET',
          url: `/api/v1/admin/events/${event.id}/inventory`,
          headers: auth(admin),
        });
        expect(inventory.json().ticketTypes.every((tt: { held: number }) => tt.held === 0)).toBe(true);
      },
      { timeout: 20_000, interval: 250 },
    );

    const report = await verifyRollups(t.app.ctx.dbHandle.db);
    expect(report.mismatches).toEqual([]);
    expect(report.consistent).toBe(true);

    const stats = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/events/${event.id}/stats`,
      headers: auth(admin),
    });
    const inventory = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/events/${event.id}/inventory`,
      headers: auth(admin),
    });
    for (const tt of inventory.json().ticketTypes) {
      const mine = stats.json().ticketTypes.find((s: { id: string }) => s.id === tt.id);
      expect(mine).toEqual({
        id: tt.id,
        name: tt.name,
        capacity: tt.capacity,
        sold: tt.confirmed,
        held: 0,
        available: tt.available,
      });
    }
  });
});
