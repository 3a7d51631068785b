import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiUser,
  api,
  browserSuite,
  buyTickets,
  createEvent,
  loginAsAdmin,
  registerBuyer,
  screenshot,
  seedShowcase,
  signInWithSession,
  unique,
} from './support.js';

/** The value of an <input type="datetime-local"> some days ahead, at 21:00. */
function localDateTime(daysAhead: number): string {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T21:00`;
}

describe('organising events in the browser', () => {
  const suite = browserSuite();
  let admin: ApiUser;

  beforeAll(async () => {
    admin = await loginAsAdmin(suite.server);
  });

  it('an admin logs in, creates an event with two ticket types, and buyers find it in the public list', async () => {
    const handle = await suite.open();
    const { page } = handle;
    const name = unique('Rooftop Cinema');

    await page.goto('/login');
    await page.getByLabel('Email').fill(suite.server.adminEmail);
    await page.getByLabel('Password').fill(suite.server.adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Manage events' }).click();
    await page.getByRole('heading', { level: 1, name: 'Manage events' }).waitFor();
    await page.getByRole('link', { name: 'New event' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'New event' }).waitFor();

    // Submitting an incomplete form explains what is missing instead of calling the API.
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter the event name.' }).waitFor();

    await page.getByLabel('Event name').fill(name);
    await page.getByLabel('Description (optional)').fill('Classic films under the stars, blankets provided.');
    await page.getByLabel('Category (optional)').fill('Film');
    await page.getByLabel('Venue', { exact: true }).fill('Sky Terrace');
    await page.getByLabel('City', { exact: true }).fill('Porto');
    await page.getByLabel('Starts').fill(localDateTime(20));
    const rows = page.locator('.ticket-row');
    await rows.nth(0).getByLabel('Price').fill('12.50');
    await rows.nth(0).getByLabel('Currency').selectOption('EUR');
    await rows.nth(0).getByLabel('Capacity').fill('80');
    await page.getByRole('button', { name: 'Add ticket type' }).click();
    await rows.nth(1).getByLabel('Name').fill('Blanket for two');
    expect(await rows.nth(1).getByLabel('Currency').inputValue()).toBe('EUR');
    await rows.nth(1).getByLabel('Price').fill('30');
    await rows.nth(1).getByLabel('Capacity').fill('10');
    await screenshot(page, 'admin-new-event', { fullPage: true });
    await page.getByRole('button', { name: 'Create event' }).click();

    await page.getByRole('heading', { level: 1, name: 'Manage events' }).waitFor();
    await page.getByText(`${name} was created.`).first().waitFor();
    const row = page.getByRole('row', { name: new RegExp(name) });
    await row.getByText('0 / 90 sold').waitFor();

    // Editing sends the version it started from; the new capacity shows in the list.
    await row.getByRole('link', { name: /Edit/ }).click();
    await page.getByRole('heading', { level: 1, name: `Edit ${name}` }).waitFor();
    await page.locator('.ticket-row').nth(1).getByLabel('Capacity').fill('12');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`${name} was saved.`).first().waitFor();
    await row.getByText('0 / 92 sold').waitFor();

    // Anyone (signed out) now finds it in the public list.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Search', { exact: true }).fill(name);
    await page.getByLabel('City', { exact: true }).fill('Porto');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    await page.getByRole('radio', { name: /General admission\s*€12\.50\s*80 of 80 left/ }).waitFor();
    await page.getByRole('radio', { name: /Blanket for two\s*€30\.00\s*12 of 12 left/ }).waitFor();
  });

  it('the analytics page charts daily sales, top events and capacity used', async () => {
    const [northern, , summit] = await seedShowcase(suite.server, admin.accessToken);
    const small = await createEvent(suite.server, admin.accessToken, {
      name: unique('Poetry Slam'),
      ticketTypes: [{ name: 'Entry', priceCents: 800, currency: 'GBP', capacity: 30 }],
    });
    const buyers = await Promise.all([
      registerBuyer(suite.server),
      registerBuyer(suite.server),
      registerBuyer(suite.server),
    ]);
    const first = (e: typeof small | undefined) => e?.ticketTypes[0]?.id ?? '';
    await buyTickets(suite.server, buyers[0]?.accessToken ?? '', northern?.id ?? '', first(northern), 4);
    await buyTickets(suite.server, buyers[1]?.accessToken ?? '', northern?.id ?? '', first(northern), 2);
    await buyTickets(suite.server, buyers[2]?.accessToken ?? '', summit?.id ?? '', first(summit), 3);
    await buyTickets(suite.server, buyers[0]?.accessToken ?? '', small.id, first(small), 5);

    const handle = await suite.open({ width: 1280, height: 1000 });
    await signInWithSession(handle, admin);
    const { page } = handle;

    await page.goto('/admin');
    await page
      .getByRole('row', { name: /Northern Lights Orchestra/ })
      .getByText('6 / 240 sold')
      .waitFor();
    await screenshot(page, 'admin-events', { docs: true });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click();
    await page.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor();
    const ticketsSold = page.locator('.stat-card', { hasText: 'Tickets sold' }).locator('dd');
    await expect.poll(() => ticketsSold.textContent()).toBe('14');
    // 6 x €45 + 3 x €199 and 5 x £8: each currency on its own, never added up.
    const revenue = page.locator('.stat-card', { hasText: 'Revenue' }).locator('dd');
    expect(await revenue.allTextContents()).toEqual(['€867.00', '£40.00']);
    await page.getByRole('heading', { name: 'Daily sales' }).waitFor();
    await page
      .getByRole('img', { name: /Daily tickets sold/ })
      .locator('.recharts-wrapper')
      .waitFor();
    await page
      .getByRole('img', { name: 'Top events by tickets sold' })
      .locator('.recharts-wrapper')
      .waitFor();
    await page
      .getByRole('img', { name: /Capacity used per event/ })
      .locator('.recharts-wrapper')
      .waitFor();
    await page
      .getByRole('img', { name: 'Top events by tickets sold' })
      .getByText('Northern Lights…')
      .waitFor();
    await screenshot(page, 'admin-analytics', { docs: true, fullPage: true });
  });

  it('an admin cancels an event only after confirming, and buyers see it cancelled', async () => {
    const event = await createEvent(suite.server, admin.accessToken, { name: unique('Rained Off Picnic') });
    const buyer = await registerBuyer(suite.server);
    await buyTickets(suite.server, buyer.accessToken, event.id, event.ticketTypes[0]?.id ?? '', 2);
    const handle = await suite.open();
    await signInWithSession(handle, admin);
    const { page } = handle;

    await page.goto('/admin');
    const row = page.getByRole('row', { name: new RegExp(event.name) });
    const cancel = row.getByRole('button', { name: `Cancel ${event.name}` });
    await cancel.click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this event?' });
    await dialog.getByRole('button', { name: 'Keep event' }).click();
    expect(await dialog.isVisible()).toBe(false);
    expect((await api<{ status: string }>(suite.server, `/events/${event.id}`)).status).toBe('published');

    await cancel.click();
    await dialog.getByRole('button', { name: 'Yes, cancel event' }).click();
    await row.getByText('Cancelled', { exact: true }).waitFor();
    expect(await cancel.count()).toBe(0);
    expect((await api<{ status: string }>(suite.server, `/events/${event.id}`)).status).toBe('cancelled');
    const booking = await api<{ data: { status: string }[] }>(suite.server, '/bookings?scope=all', {
      token: buyer.accessToken,
    });
    expect(booking.data.map((b) => b.status)).toEqual(['cancelled']);

    await page.goto(`/events/${event.id}`);
    await page.getByText('This event was cancelled. Bookings are closed.').waitFor();
  });

  it('a draft stays hidden from buyers until the admin publishes it', async () => {
    const handle = await suite.open();
    await signInWithSession(handle, admin);
    const { page } = handle;
    const name = unique('Secret Supper Club');

    await page.goto('/admin/events/new');
    await page.getByLabel('Event name').fill(name);
    await page.getByLabel('Venue', { exact: true }).fill('Back Kitchen');
    await page.getByLabel('City', { exact: true }).fill('Ghent');
    await page.getByLabel('Starts').fill(localDateTime(12));
    await page.getByLabel('Status').selectOption('draft');
    await page.locator('.ticket-row').nth(0).getByLabel('Price').fill('55');
    await page.locator('.ticket-row').nth(0).getByLabel('Capacity').fill('24');
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByText(`${name} was created.`).first().waitFor();

    await page.getByLabel('Status').selectOption('draft');
    const row = page.getByRole('row', { name: new RegExp(name) });
    await row.getByText('Draft', { exact: true }).waitFor();
    const hidden = await api<{ data: unknown[] }>(suite.server, `/events?q=${encodeURIComponent(name)}`);
    expect(hidden.data).toHaveLength(0);

    await row.getByRole('link', { name: `Edit ${name}` }).click();
    await page.getByRole('heading', { level: 1, name: `Edit ${name}` }).waitFor();
    await page.getByLabel('Status').selectOption('published');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`${name} was saved.`).first().waitFor();
    await expect
      .poll(
        async () =>
          (await api<{ data: unknown[] }>(suite.server, `/events?q=${encodeURIComponent(name)}`)).data.length,
      )
      .toBe(1);
  });
});
