// Warm connections for an on-sale's first wave: the rehearsed reservation keeps nothing, and the
// pool keeps DB_POOL_MIN connections open through a quiet period.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookingsRepository } from '../../src/modules/bookings/bookings.repository.js';
import { warmAllocationConnections } from '../../src/modules/bookings/warm-up.js';
import { createDb, type DbHandle } from '../../src/platform/db/database.js';
import { adminSession, createEvent, reserve } from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { bulkUsers } from '../helpers/users.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingLog() {
  const warnings: unknown[][] = [];
  const infos: unknown[][] = [];
  const log = {
    warn: (...args: unknown[]) => warnings.push(args),
    info: (...args: unknown[]) => infos.push(args),
  };
  return { log: log as unknown as Parameters<typeof warmAllocationConnections>[2], warnings, infos };
}

const TABLES = [
  'users',
  'events',
  'ticket_types',
  'bookings',
  'user_event_tickets',
  'ticket_type_stats',
  'event_daily_stats',
  'event_monthly_stats',
  'global_daily_stats',
] as const;

async function snapshot(handle: DbHandle): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) {
    const { rows } = await handle.pool.query(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${table} t`,
    );
    out[table] = rows[0];
  }
  return out;
}

describe('warm connections for the first wave', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp();
    // Real sales in the database, so the rollups the rehearsal's trigger touches already exist.
    const admin = await adminSession(t.app);
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 500, capacity: 10 }],
    });
    for (const buyer of await bulkUsers(t.app, 2))
      expect((await reserve(t.app, buyer, { eventId: event.id, quantity: 2 })).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  it('rehearses a reservation through to a hold and keeps nothing of it', async () => {
    const before = await snapshot(t.db);
    const outcome = await new BookingsRepository(t.db.db).rehearseReservation();
    expect(outcome).toEqual({ ok: true });
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('keeps DB_POOL_MIN rehearsed connections open through a quiet period', async () => {
    // The idle timeout is long beside the burst's spread: with 50 ms a loaded CI machine closed the
    // first connections of the burst before its last query ended, and the count after it fell short.
    const warm = createDb(t.url, 6, { min: 2, idleTimeoutMillis: 500 });
    const cold = createDb(t.url, 6, { idleTimeoutMillis: 500 });
    try {
      const { log, warnings, infos } = recordingLog();
      await warmAllocationConnections(warm.db, 2, log);
      expect(warnings).toEqual([]);
      expect(infos).toHaveLength(1);
      expect(warm.pool.totalCount).toBe(2);

      // A burst opens more connections in both pools; the quiet period after it closes all of
      // them in the pool without a minimum, and only those above the minimum in the other.
      const burst = (handle: DbHandle) =>
        Promise.all(Array.from({ length: 6 }, () => sql`SELECT pg_sleep(0.05)`.execute(handle.db)));
      await Promise.all([burst(warm), burst(cold)]);
      expect(warm.pool.totalCount).toBe(6);
      expect(cold.pool.totalCount).toBe(6);
      for (
        let waited = 0;
        waited < 5000 && (warm.pool.totalCount > 2 || cold.pool.totalCount > 0);
        waited += 50
      )
        await sleep(50);
      expect(warm.pool.totalCount).toBe(2);
      expect(cold.pool.totalCount).toBe(0);
    } finally {
      await warm.close();
      await cold.close();
    }
  });

  it('logs a failed warm-up and lets start-up go on', async () => {
    const broken = createDb(t.url.replace(/\/[^/?]+(\?|$)/, '/evently_no_such_database$1'), 2);
    try {
      const { log, warnings, infos } = recordingLog();
      await expect(warmAllocationConnections(broken.db, 2, log)).resolves.toBeUndefined();
      expect(infos).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.[0]).toMatchObject({ err: { code: '3D000' } }); // invalid_catalog_name
    } finally {
      await broken.close();
    }
  });
});
