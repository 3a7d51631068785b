import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSession, auth, createEvent, registerUser, type Session } from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

const inDays = (days: number, hour = 12) => {
  const d = new Date(Date.now() + days * 24 * 3600 * 1000);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};

describe('event catalog', () => {
  let t: TestContext;
  let admin: Session;
  let user: Session;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
    user = await registerUser(t.app);
  });
  afterAll(() => t.close());

  it('lets an admin create an event with price tiers and shows it publicly with sums', async () => {
    const event = await createEvent(t.app, admin, {
      name: 'Opera Gala',
      description: 'A night of arias',
      category: 'music',
      venue: { name: 'Royal Hall', city: 'Vienna', address: 'Ring 1' },
      ticketTypes: [
        { name: 'Parterre', priceCents: 9000, capacity: 100, currency: 'EUR' },
        { name: 'Balcony', priceCents: 4000, capacity: 50, currency: 'EUR' },
      ],
    });
    expect(event).toMatchObject({
      name: 'Opera Gala',
      status: 'published',
      capacity: 150,
      available: 150,
      maxTicketsPerUser: 10,
      holdTtlSeconds: 300,
      version: 1,
      venue: { name: 'Royal Hall', city: 'Vienna', address: 'Ring 1' },
    });
    expect(event.ticketTypes.map((tt: { name: string }) => tt.name)).toEqual(['Parterre', 'Balcony']);
    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toEqual(event);
  });

  it('forbids users from admin routes and asks anonymous callers to log in', async () => {
    const payload = {
      name: 'X',
      venue: { name: 'V', city: 'C' },
      startsAt: inDays(3),
      ticketTypes: [{ name: 'A', priceCents: 1, capacity: 1 }],
    };
    const asUser = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/events',
      headers: auth(user),
      payload,
    });
    expect(asUser.statusCode).toBe(403);
    expect(asUser.json().error.code).toBe('FORBIDDEN');
    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/admin/events', payload });
    expect(anonymous.statusCode).toBe(401);
  });

  it('filters by text, city, category and date range, case-insensitively', async () => {
    const tag = randomUUID().slice(0, 8);
    await createEvent(t.app, admin, {
      name: `Rock ${tag}`,
      category: 'Music',
      venue: { name: 'Arena', city: 'Porto' },
      startsAt: inDays(5),
    });
    await createEvent(t.app, admin, {
      name: `Chess ${tag}`,
      category: 'games',
      venue: { name: 'Club', city: 'Porto' },
      startsAt: inDays(6),
    });
    await createEvent(t.app, admin, {
      name: `Jazz ${tag}`,
      description: 'smooth',
      category: 'music',
      venue: { name: 'Cellar', city: 'Faro' },
      startsAt: inDays(40),
    });
    const names = async (query: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/events?${query}` }))
        .json()
        .data.map((e: { name: string }) => e.name);
    expect(await names(`q=${tag.toUpperCase()}`)).toEqual([`Rock ${tag}`, `Chess ${tag}`, `Jazz ${tag}`]);
    expect(await names(`q=${tag}&city=porto`)).toEqual([`Rock ${tag}`, `Chess ${tag}`]);
    expect(await names(`q=${tag}&category=MUSIC`)).toEqual([`Rock ${tag}`, `Jazz ${tag}`]);
    expect(await names(`q=SMOOTH`)).toContain(`Jazz ${tag}`);
    expect(await names(`q=cellar`)).toContain(`Jazz ${tag}`);
    expect(await names(`q=${tag}&from=${encodeURIComponent(inDays(30))}`)).toEqual([`Jazz ${tag}`]);
    expect(await names(`q=${tag}&to=${encodeURIComponent(inDays(5, 23))}`)).toEqual([`Rock ${tag}`]);
    // Both bounds are inclusive; a plain date means its whole day (UTC).
    const rock = inDays(5);
    expect(await names(`q=${tag}&from=${encodeURIComponent(rock)}&to=${encodeURIComponent(rock)}`)).toEqual([
      `Rock ${tag}`,
    ]);
    const day = (iso: string) => iso.slice(0, 10);
    expect(await names(`q=${tag}&from=${day(inDays(6))}&to=${day(inDays(6))}`)).toEqual([`Chess ${tag}`]);
    expect(await names(`q=${tag}&from=${day(inDays(7))}`)).toEqual([`Jazz ${tag}`]);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/events?from=2026-13-01' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.fields.map((f: { field: string }) => f.field)).toContain('from');
    // LIKE wildcards in q are literal characters, not patterns.
    expect(await names(`q=${encodeURIComponent('%')}`)).toEqual([]);
  });

  it('hides drafts, cancelled and past events from the public list, and drafts from detail', async () => {
    const tag = randomUUID().slice(0, 8);
    const draft = await createEvent(t.app, admin, { name: `Draft ${tag}`, status: 'draft' });
    await createEvent(t.app, admin, { name: `Past ${tag}`, startsAt: inDays(-2) });
    const list = (await t.app.inject({ method: 'GET', url: `/api/v1/events?q=${tag}` })).json();
    expect(list.data).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/events/${draft.id}` })).statusCode).toBe(404);
    const asAdmin = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/events/${draft.id}`,
      headers: auth(admin),
    });
    expect(asAdmin.json().status).toBe('draft');
  });

  it('pages with a keyset cursor that never skips or repeats, even while events are inserted', async () => {
    const tag = randomUUID().slice(0, 8);
    const sameStart = inDays(9);
    for (let i = 0; i < 7; i++)
      await createEvent(t.app, admin, {
        name: `Page ${tag} ${i}`,
        startsAt: i < 4 ? sameStart : inDays(10 + i),
      });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/events?q=${tag}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url })).json();
      seen.push(...page.data.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
      pages++;
      // An insert sorting before the cursor must not shift the following pages.
      if (pages === 1) await createEvent(t.app, admin, { name: `Page ${tag} early`, startsAt: inDays(1) });
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(pages).toBe(3);
  });

  it('rejects malformed cursors and bad ranges with 400', async () => {
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/events?cursor=not-a-cursor' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const limit = await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=101' });
    expect(limit.statusCode).toBe(400);
    const range = await t.app.inject({
      method: 'GET',
      url: `/api/v1/events?from=${inDays(5)}&to=${inDays(1)}`,
    });
    expect(range.statusCode).toBe(400);
  });

  it('updates partially with If-Match; a stale version is 412 and nothing changes', async () => {
    const event = await createEvent(t.app, admin);
    const patch = (payload: object, version?: number) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/admin/events/${event.id}`,
        headers: { ...auth(admin), ...(version ? { 'if-match': String(version) } : {}) },
        payload,
      });
    const first = await patch({ name: 'Renamed', venue: { city: 'Madrid' } }, 1);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      name: 'Renamed',
      version: 2,
      venue: { city: 'Madrid', name: 'Hall' },
    });
    const stale = await patch({ name: 'Lost update' }, 1);
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.code).toBe('VERSION_CONFLICT');
    const detail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/events/${event.id}`,
      headers: auth(admin),
    });
    expect(detail.json().name).toBe('Renamed');
  });

  it('edits ticket types by id, adds new ones, and refuses capacity below held + sold', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: 10 }],
    });
    const ga = event.ticketTypes[0].id;
    const buyer = await registerUser(t.app);
    const hold = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: auth(buyer),
      payload: { eventId: event.id, quantity: 4 },
    });
    expect(hold.statusCode).toBe(201);

    const patch = (payload: object) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/admin/events/${event.id}`,
        headers: auth(admin),
        payload,
      });
    const below = await patch({ ticketTypes: [{ id: ga, capacity: 3 }] });
    expect(below.statusCode).toBe(409);
    expect(below.json().error.code).toBe('CAPACITY_BELOW_SOLD');

    const ok = await patch({
      ticketTypes: [
        { id: ga, capacity: 6, priceCents: 1200 },
        { name: 'VIP', priceCents: 5000, capacity: 2 },
      ],
    });
    expect(ok.statusCode).toBe(200);
    const types = ok.json().ticketTypes;
    expect(types[0]).toMatchObject({ id: ga, capacity: 6, available: 2, priceCents: 1200 });
    expect(types[1]).toMatchObject({ name: 'VIP', capacity: 2, available: 2 });
    expect(ok.json()).toMatchObject({ capacity: 8, available: 4 });

    const unknown = await patch({ ticketTypes: [{ id: randomUUID(), capacity: 6 }] });
    expect(unknown.statusCode).toBe(400);
  });

  it('gives admins a list of every event, drafts and cancelled included, filterable by status', async () => {
    const tag = randomUUID().slice(0, 8);
    const draft = await createEvent(t.app, admin, {
      name: `Adm ${tag} draft`,
      status: 'draft',
      startsAt: inDays(3),
    });
    const past = await createEvent(t.app, admin, { name: `Adm ${tag} past`, startsAt: inDays(-3) });
    const gone = await createEvent(t.app, admin, { name: `Adm ${tag} gone`, startsAt: inDays(4) });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/events/${gone.id}/cancel`,
      headers: auth(admin),
    });
    const list = async (query: string) =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/admin/events?q=${tag}${query}`,
          headers: auth(admin),
        })
      )
        .json()
        .data.map((e: { id: string }) => e.id);
    expect(await list('')).toEqual([past.id, draft.id, gone.id]);
    expect(await list('&status=draft')).toEqual([draft.id]);
    expect(await list('&status=cancelled')).toEqual([gone.id]);
    const asUser = await t.app.inject({ method: 'GET', url: '/api/v1/admin/events', headers: auth(user) });
    expect(asUser.statusCode).toBe(403);
  });

  it('answers 404 for unknown and malformed event ids alike', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '1', "'; drop table events; --"]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/events/${encodeURIComponent(id)}` });
      expect(res.statusCode, id).toBe(404);
      expect(res.json().error.code).toBe('EVENT_NOT_FOUND');
    }
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/admin/events/nope',
      headers: auth(admin),
      payload: { name: 'x' },
    });
    expect(patch.statusCode).toBe(404);
  });

  it('serves list and detail with ETag and 304, and shows admin edits at once', async () => {
    const event = await createEvent(t.app, admin);
    const first = await t.app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` });
    expect(first.headers.etag).toBeDefined();
    expect(first.headers['cache-control']).toBe('public, max-age=1');
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // A cache holding several copies sends them all; the current one among them is enough.
    const listed = await t.app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: { 'if-none-match': `W/"older-copy", ${first.headers.etag as string}` },
    });
    expect(listed.statusCode).toBe(304);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/events/${event.id}`,
      headers: auth(admin),
      payload: { name: 'Fresh name' },
    });
    const after = await t.app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(after.statusCode).toBe(200);
    expect(after.json().name).toBe('Fresh name');
  });
});
