// Accessibility basics on every main screen: landmarks, one h1, a label on every field,
// a working skip link, visible focus, and the booking flow done with the keyboard alone.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiUser,
  browserSuite,
  buyerOnNewEvent,
  createEvent,
  loginAsAdmin,
  signInWithSession,
  unique,
} from './support.js';

/** Form controls without an accessible name from a <label>, aria-label or aria-labelledby. */
const UNLABELLED_FIELDS = `[...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && el.type !== 'radio' && el.labels.length === 0
    && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML)`;

/** Radios are named by their wrapping <label>; every radio group sits in a fieldset with a legend. */
const UNLABELLED_RADIOS = `[...document.querySelectorAll('input[type=radio]')]
  .filter((el) => el.labels.length === 0 || !el.closest('fieldset')?.querySelector('legend'))
  .map((el) => el.outerHTML)`;

/**
 * The focused element, and whether a focus ring is visible on it or on a close ancestor (event
 * cards ring the whole card around their stretched link). The ring is the brand-coloured
 * box-shadow from styles.css, or any outline.
 */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const ringed = (node) => {
    const style = getComputedStyle(node);
    return /rgba?\\(79, 70, 229(, 0\\.[1-9]|\\))/.test(style.boxShadow) || (style.outlineStyle !== 'none' && style.outlineWidth !== '0px');
  };
  let visibleFocus = false;
  for (let node = el, depth = 0; node && depth < 4; node = node.parentElement, depth++) {
    if (ringed(node)) { visibleFocus = true; break; }
  }
  return { text: (el.textContent || el.getAttribute('aria-label') || '').trim(), tag: el.tagName, visibleFocus };
})()`;

type Focused = { text: string; tag: string; visibleFocus: boolean } | null;

async function expectAccessibleScreen(page: Page, name: string): Promise<void> {
  await page.getByRole('banner').waitFor();
  expect(await page.getByRole('main').count(), `${name}: one main landmark`).toBe(1);
  expect(await page.getByRole('navigation', { name: 'Main' }).count(), `${name}: main navigation`).toBe(1);
  expect(await page.getByRole('contentinfo').count(), `${name}: footer`).toBe(1);
  expect(await page.locator('h1').count(), `${name}: exactly one h1`).toBe(1);
  expect(await page.evaluate(UNLABELLED_FIELDS), `${name}: fields without a label`).toEqual([]);
  expect(await page.evaluate(UNLABELLED_RADIOS), `${name}: radios without a label or legend`).toEqual([]);
}

/** Presses Tab until the focused element's text matches, failing after `max` presses. */
async function tabTo(page: Page, text: RegExp, max = 40): Promise<Focused> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(FOCUSED)) as Focused;
    if (focused && text.test(focused.text)) return focused;
  }
  throw new Error(`Tab never reached an element matching ${text}`);
}

/** The ring may fade in (a short transition), so wait for it rather than sample once. */
async function expectVisibleFocus(page: Page): Promise<void> {
  await expect
    .poll(async () => ((await page.evaluate(FOCUSED)) as Focused)?.visibleFocus, { timeout: 2_000 })
    .toBe(true);
}

describe('accessibility', () => {
  const suite = browserSuite();
  let admin: ApiUser;

  beforeAll(async () => {
    admin = await loginAsAdmin(suite.server);
  });

  it('every main screen has landmarks, one h1 and a label on every field', async () => {
    const event = await createEvent(suite.server, admin.accessToken, {
      name: unique('Accessible Arts Evening'),
    });
    const handle = await suite.open();
    await signInWithSession(handle, admin);
    const { page } = handle;

    await page.goto('/');
    await page.getByRole('link', { name: event.name }).waitFor();
    await expectAccessibleScreen(page, 'event list');

    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: /^Reserve/ }).waitFor();
    await expectAccessibleScreen(page, 'event page');

    await page.getByRole('button', { name: /^Reserve/ }).click();
    await page.getByRole('timer').waitFor();
    await expectAccessibleScreen(page, 'booking page');

    await page.goto('/bookings');
    await page.getByRole('tab', { name: 'Upcoming' }).waitFor();
    await expectAccessibleScreen(page, 'my bookings');
    // Tabs follow the ARIA pattern: arrow keys move between them.
    await page.getByRole('tab', { name: 'Upcoming' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() => page.getByRole('tab', { name: 'Past' }).getAttribute('aria-selected'))
      .toBe('true');

    await page.goto('/admin/events/new');
    await page.getByRole('button', { name: 'Create event' }).waitFor();
    await expectAccessibleScreen(page, 'event form');

    await page.goto('/admin/analytics');
    await page.getByRole('heading', { name: 'Daily sales' }).waitFor();
    await expectAccessibleScreen(page, 'analytics');

    await page.evaluate('localStorage.clear()');
    for (const path of ['/login', '/signup']) {
      await page.goto(path);
      await page
        .getByRole('button', { name: /Log in|Sign up/ })
        .first()
        .waitFor();
      await expectAccessibleScreen(page, path);
    }
  });

  it('a keyboard-only buyer skips to the content, reserves and pays, always seeing where focus is', async () => {
    const { event, page } = await buyerOnNewEvent(suite, admin.accessToken, 'Keyboard Quartet');

    await page.goto('/');
    await page.getByRole('link', { name: event.name }).waitFor();
    await page.keyboard.press('Tab');
    const skip = (await page.evaluate(FOCUSED)) as Focused;
    expect(skip?.text).toBe('Skip to content');
    expect(await page.getByRole('link', { name: 'Skip to content' }).isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('main');

    await tabTo(page, new RegExp(event.name));
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: event.name }).waitFor();

    await tabTo(page, /^Reserve 1 ticket$/);
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await page.getByRole('timer').waitFor();

    await tabTo(page, /^Pay /);
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: "You're going!" }).waitFor();
    await page.getByRole('img', { name: /^QR code for ticket / }).waitFor();
  });
});
