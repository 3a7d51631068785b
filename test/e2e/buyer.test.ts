import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiEvent,
  type ApiUser,
  api,
  browserSuite,
  buyerOnNewEvent,
  buyTickets,
  createEvent,
  loginAsAdmin,
  registerBuyer,
  screenshot,
  seedShowcase,
  signInWithSession,
  storedSession,
  unique,
  uniqueEmail,
} from './support.js';

describe('buying tickets in the browser', () => {
  const suite = browserSuite();
  let admin: ApiUser;

  beforeAll(async () => {
    admin = await loginAsAdmin(suite.server);
    await seedShowcase(suite.server, admin.accessToken);
  });

  const eventAvailable = async (eventId: string) =>
    (await api<ApiEvent>(suite.server, `/events/${eventId}`)).available;

  it('a new buyer signs up, finds the event, reserves, pays, gets QR tickets and cancels in My bookings', async () => {
    const event = await createEvent(suite.server, admin.accessToken, {
      name: unique('Midnight Jazz Session'),
    });
    const handle = await suite.open();
    const { page } = handle;

    await page.goto('/');
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(uniqueEmail('ada'));
    await page.getByLabel('Password').fill('analytical-engine');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.getByText('Ada Lovelace').waitFor();

    await page.getByRole('link', { name: 'Northern Lights Orchestra' }).waitFor();
    await screenshot(page, 'event-list', { docs: true });

    await page.getByLabel('Search', { exact: true }).fill(event.name);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.url()).toContain('q=');
    await page.getByRole('link', { name: event.name }).waitFor();
    await expect.poll(() => page.locator('.event-card').count()).toBe(1);

    await page.getByRole('link', { name: event.name }).click();
    await page.getByRole('heading', { level: 1, name: event.name }).waitFor();
    await page.getByText('100 of 100 left').waitFor();
    const total = page.locator('.total');
    await total.getByText('€35.00').waitFor();
    await page.getByRole('button', { name: 'One ticket more' }).click();
    await total.getByText('€70.00').waitFor();
    await screenshot(page, 'event-page', { docs: true });
    await page.getByRole('button', { name: 'Reserve 2 tickets' }).click();

    await page.getByRole('heading', { name: 'Complete your booking' }).waitFor();
    const timer = page.getByRole('timer');
    const shownAtFirst = await timer.textContent();
    expect(shownAtFirst).toMatch(/^0[45]:[0-5]\d$/);
    await expect.poll(() => timer.textContent(), { timeout: 5_000 }).not.toBe(shownAtFirst);
    // The availability the event page shows counts the hold at once.
    await expect.poll(() => eventAvailable(event.id)).toBe(118);
    await page.getByText('tok_chargeDeclined').first().waitFor();
    await screenshot(page, 'hold-countdown', { docs: true });

    // A declined card leaves the hold in place and says so in words.
    await page.getByLabel(/Declined test card/).check();
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('alert').filter({ hasText: 'Your card was declined' }).waitFor();
    await page.getByLabel(/Visa test card/).check();
    await page.getByRole('button', { name: /^Pay/ }).click();

    await page.getByRole('heading', { name: "You're going!" }).waitFor();
    const qrCodes = page.getByRole('img', { name: /^QR code for ticket / });
    await expect.poll(() => qrCodes.count()).toBe(2);
    for (const qr of await qrCodes.all()) {
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    }
    await screenshot(page, 'tickets-qr', { docs: true, fullPage: true });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My bookings' }).click();
    await page.getByRole('heading', { level: 1, name: 'My bookings' }).waitFor();
    const row = page.locator('.booking-row', { hasText: event.name });
    await row.getByText('Confirmed').waitFor();
    await screenshot(page, 'my-bookings', { docs: true });

    await row.getByRole('button', { name: /Cancel booking/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this booking?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Yes, cancel booking' }).click();
    await row.getByText('Cancelled').waitFor();
    await expect.poll(() => eventAvailable(event.id)).toBe(120);

    // The session survives a reload, and a rejected access token is refreshed behind the scenes.
    const before = await storedSession(page);
    await page.evaluate(
      `(() => { const s = JSON.parse(localStorage.getItem('evently.session')); s.accessToken = 'not-a-valid-token'; localStorage.setItem('evently.session', JSON.stringify(s)); })()`,
    );
    await page.reload();
    await page.locator('.booking-row', { hasText: event.name }).getByText('Cancelled').waitFor();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const after = await storedSession(page);
    expect(after?.refreshToken).toBeTruthy();
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect(after?.accessToken).not.toBe('not-a-valid-token');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    expect(await storedSession(page)).toBeNull();
  });

  it('when the hold runs out on the page, it says the hold lapsed and no longer offers to pay', async () => {
    const event = await createEvent(suite.server, admin.accessToken, {
      name: unique('Flash Sale Gig'),
      holdTtlSeconds: 3,
    });
    const buyer = await registerBuyer(suite.server);
    const handle = await suite.open();
    const { page } = handle;

    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: 'Log in to reserve' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(buyer.user.email);
    await page.getByLabel('Password').fill(buyer.password);
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.getByRole('heading', { level: 1, name: event.name }).waitFor();
    await page.getByRole('button', { name: 'Reserve 1 ticket' }).click();
    await page.getByRole('heading', { name: 'Complete your booking' }).waitFor();
    expect(await page.getByRole('timer').textContent()).toMatch(/^00:0[0-3]$/);

    await page.getByRole('heading', { name: 'Your hold lapsed' }).waitFor({ timeout: 10_000 });
    await page.getByText('Your hold has expired').waitFor();
    expect(await page.getByRole('button', { name: /^Pay/ }).count()).toBe(0);
    expect(await page.getByRole('timer').count()).toBe(0);
    await screenshot(page, 'hold-lapsed');
    // The tickets went back on sale.
    await expect.poll(() => eventAvailable(event.id), { timeout: 10_000 }).toBe(120);

    await page.getByRole('link', { name: 'Start again' }).click();
    await page.getByRole('heading', { level: 1, name: event.name }).waitFor();
    await page.getByRole('button', { name: 'Reserve 1 ticket' }).waitFor();
  });

  it('a sold-out event says so, live and after a reload, and does not let anyone reserve', async () => {
    const event = await createEvent(suite.server, admin.accessToken, {
      name: unique('Secret Rooftop Show'),
      ticketTypes: [{ name: 'The only seat', priceCents: 2500, currency: 'EUR', capacity: 1 }],
    });
    const [watcher, quickest] = await Promise.all([registerBuyer(suite.server), registerBuyer(suite.server)]);
    const handle = await suite.open();
    await signInWithSession(handle, watcher);
    const { page } = handle;

    await page.goto(`/events/${event.id}`);
    await page.getByText('1 of 1 left').waitFor();
    await page.getByRole('button', { name: 'Reserve 1 ticket' }).waitFor();

    // Someone else buys the last seat; the open page notices through its live polling.
    const ticketTypeId = event.ticketTypes[0]?.id ?? '';
    await buyTickets(suite.server, quickest.accessToken, event.id, ticketTypeId, 1);
    await page.getByText('Every ticket for this event is taken').waitFor({ timeout: 10_000 });
    const button = page.getByRole('button', { name: 'Sold out' });
    expect(await button.isDisabled()).toBe(true);
    expect(await page.getByRole('radio', { name: /The only seat/ }).isDisabled()).toBe(true);
    await screenshot(page, 'sold-out');

    await page.reload();
    await page.getByText('Every ticket for this event is taken').waitFor();
    expect(await page.getByRole('button', { name: 'Sold out' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /^Reserve/ }).count()).toBe(0);
  });

  it('a busy answer and a lost answer are tried again with the same key: one hold, no second booking', async () => {
    const { event, buyer, page } = await buyerOnNewEvent(suite, admin.accessToken, 'Rush Hour Rave');

    // The first try meets a busy server (503, Retry-After: 1). The second reaches the server, which
    // holds the tickets, but its answer is lost on the way back. The third gets through.
    const keys: string[] = [];
    await page.route('**/api/v1/bookings', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        return route.fulfill({
          status: 503,
          headers: { 'Retry-After': '1', 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Busy, retry shortly' } }),
        });
      }
      if (keys.length === 2) {
        await route.fetch();
        return route.abort('connectionreset');
      }
      return route.continue();
    });

    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: 'Reserve 1 ticket' }).click();
    await page.getByText('Lots of people are booking right now').waitFor();
    await page.getByText('The connection dropped').waitFor();
    await page.getByRole('heading', { name: 'Complete your booking' }).waitFor();

    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await api<{ data: { id: string; eventId: string }[] }>(suite.server, '/bookings?scope=all', {
      token: buyer.accessToken,
    });
    expect(mine.data.filter((b) => b.eventId === event.id)).toHaveLength(1);
    expect(page.url()).toContain(`/bookings/${mine.data[0]?.id}`);
    expect(await eventAvailable(event.id)).toBe(119);
  });

  it('when the session can no longer be refreshed, the buyer is logged out and asked to log in again', async () => {
    const buyer = await registerBuyer(suite.server);
    const handle = await suite.open();
    // Both tokens rejected, as after a long absence or a revoked refresh token.
    await signInWithSession(handle, {
      ...buyer,
      accessToken: 'expired-access',
      refreshToken: 'revoked-refresh',
    });
    const { page } = handle;

    await page.goto('/bookings');
    await expect.poll(() => page.url()).toContain('/login?next=%2Fbookings');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    expect(await storedSession(page)).toBeNull();

    await page.getByLabel('Email').fill(buyer.user.email);
    await page.getByLabel('Password').fill(buyer.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'My bookings' }).waitFor();
  });
});
