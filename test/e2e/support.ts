// Shared pieces of the browser tests: the browser, the test server, API shortcuts for arranging
// data as an admin or another buyer, and screenshots.
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startTestServer } from '../helpers/server.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT_DIR = `${repoRoot}test-output/screenshots`;
const DOCS_SCREENSHOT_DIR = `${repoRoot}docs/screenshots`;

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function startServer(): Promise<TestServer> {
  // The tests register several accounts quickly from one IP: no auth rate limit (0 turns it off).
  return startTestServer({ authRateLimit: 0 });
}

export interface PageHandle {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page; a test fails if any happen. */
  pageErrors: Error[];
}

export async function openPage(
  browser: Browser,
  server: TestServer,
  options: { width?: number; height?: number; mobile?: boolean } = {},
): Promise<PageHandle> {
  const context = await browser.newContext({
    baseURL: server.baseUrl,
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    deviceScaleFactor: options.mobile ? 2 : 1,
    isMobile: options.mobile ?? false,
    hasTouch: options.mobile ?? false,
    locale: 'en-US',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  return { context, page, pageErrors };
}

export interface BrowserSuite {
  /** The file's server and browser, started before its first test. */
  readonly server: TestServer;
  readonly browser: Browser;
  /** A fresh page for the running test, closed after it. */
  open(options?: Parameters<typeof openPage>[2]): Promise<PageHandle>;
}

/**
 * The lifecycle every browser test file shares: one server and one browser for the file; each
 * test opens its page with `open()`, and after the test the page is closed (with a screenshot
 * when the test failed) and must not have raised an uncaught error.
 */
export function browserSuite(): BrowserSuite {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let current: PageHandle | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} is not started yet (use it inside a test or hook)`);
    return value;
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  afterEach(async ({ task }) => {
    const handle = current;
    current = undefined;
    const errors = handle?.pageErrors ?? [];
    if (handle && task.result?.state === 'fail') await failureScreenshot(handle, task.name);
    await handle?.context.close();
    expect(errors.map((e) => e.message)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  return {
    get server() {
      return started(server, 'test server');
    },
    get browser() {
      return started(browser, 'browser');
    },
    async open(options) {
      current = await openPage(started(browser, 'browser'), started(server, 'test server'), options);
      return current;
    },
  };
}

/**
 * Saves test-output/screenshots/<name>.png; with `docs` and UPDATE_SCREENSHOTS=1 in the
 * environment, also copies it to docs/screenshots for the README (so test runs leave git clean).
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { docs?: boolean; fullPage?: boolean } = {},
) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = `${SCREENSHOT_DIR}/${name}.png`;
  // No hover effects from where the last click left the mouse; full pages start at the top so
  // the sticky header is not painted into the middle.
  await page.mouse.move(0, 0);
  if (options.fullPage) await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({
    path: file,
    fullPage: options.fullPage ?? false,
    animations: 'disabled',
    caret: 'hide',
  });
  if (options.docs && process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOCS_SCREENSHOT_DIR, { recursive: true });
    await copyFile(file, `${DOCS_SCREENSHOT_DIR}/${name}.png`);
  }
}

/** What the page looked like when a test failed, to debug from CI artifacts. */
export async function failureScreenshot(handle: PageHandle, testName: string): Promise<void> {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60);
  await screenshot(handle.page, `failed-${slug}`, { fullPage: true }).catch(() => {});
}

export function unique(prefix: string): string {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}

export function uniqueEmail(prefix = 'buyer'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.test`;
}

interface ApiOptions {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls the public HTTP API of the test server and fails loudly on an unexpected status. */
export async function api<T>(server: TestServer, path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${options.method ?? 'GET'} ${path} -> ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface ApiUser {
  user: { id: string; email: string; name: string; role: string };
  accessToken: string;
  refreshToken: string;
}

export function loginAsAdmin(server: TestServer): Promise<ApiUser> {
  return api<ApiUser>(server, '/auth/login', {
    method: 'POST',
    body: { email: server.adminEmail, password: server.adminPassword },
  });
}

export function registerBuyer(
  server: TestServer,
  name = 'Test Buyer',
): Promise<ApiUser & { password: string }> {
  const password = 'correct-horse-42';
  return api<ApiUser>(server, '/auth/register', {
    method: 'POST',
    body: { email: uniqueEmail(), password, name },
  }).then((result) => ({ ...result, password }));
}

export interface ApiEvent {
  id: string;
  name: string;
  capacity: number;
  available: number;
  ticketTypes: {
    id: string;
    name: string;
    priceCents: number;
    currency: string;
    capacity: number;
    available: number;
  }[];
}

export function createEvent(
  server: TestServer,
  adminToken: string,
  overrides: Record<string, unknown> = {},
): Promise<ApiEvent> {
  const startsAt = new Date(Date.now() + 14 * 86_400_000);
  startsAt.setUTCHours(19, 30, 0, 0);
  return api<ApiEvent>(server, '/admin/events', {
    method: 'POST',
    token: adminToken,
    body: {
      name: unique('E2E Concert'),
      description: 'An evening of live music, arranged by the browser tests.',
      category: 'Music',
      venue: { name: 'Harbour Hall', city: 'Lisbon', address: 'Rua do Cais 1' },
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
      maxTicketsPerUser: 6,
      holdTtlSeconds: 300,
      ticketTypes: [
        { name: 'Standing', priceCents: 3500, currency: 'EUR', capacity: 100 },
        { name: 'Balcony seat', priceCents: 6000, currency: 'EUR', capacity: 20 },
      ],
      ...overrides,
    },
  });
}

/** Buys tickets in one step (reserve and pay) as the given user. */
export function buyTickets(
  server: TestServer,
  token: string,
  eventId: string,
  ticketTypeId: string,
  quantity: number,
) {
  return api<{ id: string; status: string }>(server, '/bookings', {
    method: 'POST',
    token,
    headers: { 'Idempotency-Key': randomUUID() },
    body: { eventId, ticketTypeId, quantity, paymentToken: 'tok_visa' },
  });
}

/** Signs the browser in by storing a session the way the web app does (for tests about other things). */
export async function signInWithSession(handle: PageHandle, session: ApiUser): Promise<void> {
  const value = JSON.stringify({
    user: session.user,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
  });
  const key = JSON.stringify('evently.session');
  // A string script: the test code itself has no DOM typings. It seeds the session once per tab
  // (sessionStorage marks it), so later token rotation or logging out is not undone by a reload.
  await handle.context.addInitScript({
    content: `if (!sessionStorage.getItem('e2e-seeded')) {
      sessionStorage.setItem('e2e-seeded', '1');
      localStorage.setItem(${key}, ${JSON.stringify(value)});
    }`,
  });
}

/** A few realistic events so list screenshots look like a real shop. */
export async function seedShowcase(server: TestServer, adminToken: string): Promise<ApiEvent[]> {
  const day = (n: number, hour: number) => {
    const d = new Date(Date.now() + n * 86_400_000);
    d.setUTCHours(hour, 0, 0, 0);
    return d.toISOString();
  };
  const specs = [
    {
      name: 'Northern Lights Orchestra',
      category: 'Music',
      venue: { name: 'Concert Hall', city: 'Oslo' },
      startsAt: day(9, 19),
      price: 4500,
      currency: 'EUR',
    },
    {
      name: 'Stand-up Night: Fresh Faces',
      category: 'Comedy',
      venue: { name: 'The Cellar', city: 'London' },
      startsAt: day(12, 20),
      price: 1800,
      currency: 'EUR',
    },
    {
      name: 'Frontend Summit',
      category: 'Conference',
      venue: { name: 'Expo Centre', city: 'Berlin' },
      startsAt: day(21, 9),
      price: 19900,
      currency: 'EUR',
    },
    {
      name: 'City Derby',
      category: 'Sports',
      venue: { name: 'Riverside Stadium', city: 'Madrid' },
      startsAt: day(30, 18),
      price: 6000,
      currency: 'EUR',
    },
  ];
  const created: ApiEvent[] = [];
  for (const spec of specs) {
    created.push(
      await createEvent(server, adminToken, {
        name: spec.name,
        category: spec.category,
        venue: spec.venue,
        startsAt: spec.startsAt,
        endsAt: undefined,
        ticketTypes: [
          { name: 'Standard', priceCents: spec.price, currency: spec.currency, capacity: 200 },
          { name: 'Premium', priceCents: spec.price * 2, currency: spec.currency, capacity: 40 },
        ],
      }),
    );
  }
  return created;
}

/** Width of the document; larger than the viewport means sideways scrolling on a phone. */
export async function scrollWidth(page: Page): Promise<number> {
  return (await page.evaluate('document.documentElement.scrollWidth')) as number;
}

export async function storedSession(
  page: Page,
): Promise<{ accessToken: string; refreshToken: string } | null> {
  const raw = (await page.evaluate('localStorage.getItem("evently.session")')) as string | null;
  return raw ? JSON.parse(raw) : null;
}

/** A new event named after `name`, a new buyer, and a page where that buyer is signed in. */
export async function buyerOnNewEvent(suite: BrowserSuite, adminToken: string, name: string) {
  const event = await createEvent(suite.server, adminToken, { name: unique(name) });
  const buyer = await registerBuyer(suite.server);
  const handle = await suite.open();
  await signInWithSession(handle, buyer);
  return { event, buyer, handle, page: handle.page };
}
