// The main buyer flow at phone width (375 x 740): nothing may need sideways scrolling.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  browserSuite,
  createEvent,
  loginAsAdmin,
  screenshot,
  scrollWidth,
  seedShowcase,
  unique,
  uniqueEmail,
} from './support.js';

const PHONE = { width: 375, height: 740, mobile: true };

describe('at phone width', () => {
  const suite = browserSuite();

  const fitsTheScreen = async (page: Page) =>
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

  it('a buyer signs up through the menu, reserves, pays and sees the QR tickets', async () => {
    const admin = await loginAsAdmin(suite.server);
    await seedShowcase(suite.server, admin.accessToken);
    const event = await createEvent(suite.server, admin.accessToken, {
      name: unique('Harbour Lights Festival'),
    });
    const handle = await suite.open(PHONE);
    const { page } = handle;

    await page.goto('/');
    await page.getByRole('link', { name: 'Northern Lights Orchestra' }).waitFor();
    await fitsTheScreen(page);
    await screenshot(page, 'phone-event-list', { docs: true });

    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(uniqueEmail('grace'));
    await page.getByLabel('Password').fill('compiler-1952');
    await fitsTheScreen(page);
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.getByLabel('Search', { exact: true }).fill(event.name);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: event.name }).click();
    await page.getByRole('heading', { level: 1, name: event.name }).waitFor();
    await page.getByRole('radio', { name: /Balcony seat/ }).check();
    await fitsTheScreen(page);
    await screenshot(page, 'phone-event', { docs: true, fullPage: true });
    await page.getByRole('button', { name: 'Reserve 1 ticket' }).click();

    await page.getByRole('timer').waitFor();
    await fitsTheScreen(page);
    await screenshot(page, 'phone-hold', { docs: true });
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByRole('heading', { name: "You're going!" }).waitFor();
    await page.getByRole('img', { name: /^QR code for ticket / }).waitFor();
    await fitsTheScreen(page);
    await screenshot(page, 'phone-tickets', { docs: true, fullPage: true });

    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My bookings' }).click();
    await page.locator('.booking-row', { hasText: event.name }).getByText('Confirmed').waitFor();
    await fitsTheScreen(page);
    await screenshot(page, 'phone-my-bookings');
  });
});
