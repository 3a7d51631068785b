// The analytics triggers find rollup rows through their keys whatever the planner's statistics
// say. ANALYZE of an empty table records it as known to be empty, and a plan made then scans the
// whole table for every key: a bulk insert of 50,000 bookings into a fresh database ran for
// minutes, slower with every statement, as the rollups grew under plans made for empty tables.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRollups } from '../../src/modules/analytics/analytics.verification.js';
import { createDb, type DbHandle } from '../../src/platform/db/database.js';
import { createTestDatabase } from '../helpers/app.js';

const ROLLUPS = ['ticket_type_stats', 'event_daily_stats', 'event_monthly_stats', 'global_daily_stats'];
const EVENTS = 6;
const DAYS = 4;

interface ScanCounts {
  relname: string;
  seq_scan: string;
  idx_scan: string;
}

describe('rollup triggers on tables the statistics call empty', () => {
  let database: { url: string; drop(): Promise<void> };
  let client: pg.Client;
  let handle: DbHandle;
  const buyer = randomUUID();
  const events = Array.from({ length: EVENTS }, () => ({ id: randomUUID(), ticketType: randomUUID() }));

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    handle = createDb(database.url, 2);
    await client.query(
      `INSERT INTO users (id, email, name, password_hash) VALUES ($1, 'plans@example.test', 'Plans', 'x')`,
      [buyer],
    );
    for (const [i, event] of events.entries()) {
      await client.query(
        `INSERT INTO events (id, name, venue_name, venue_city, starts_at, status, max_tickets_per_user, hold_ttl_seconds)
         VALUES ($1, $2, 'Hall', 'Lisbon', now() + interval '30 days', 'published', 100, 600)`,
        [event.id, `Plans ${i}`],
      );
      await client.query(
        `INSERT INTO ticket_types (id, event_id, name, price_cents, currency, capacity, available)
         VALUES ($1, $2, 'GA', 1500, $3, 1000, 1000)`,
        [event.ticketType, event.id, i % 2 === 0 ? 'EUR' : 'GBP'],
      );
      await client.query(`INSERT INTO user_event_tickets (user_id, event_id, quantity) VALUES ($1, $2, 0)`, [
        buyer,
        event.id,
      ]);
    }
    // The state of a new database whose migrations analyzed the rollups while they were empty.
    await client.query(`ANALYZE ${ROLLUPS.join(', ')}`);
  });

  afterAll(async () => {
    await client?.end();
    await handle?.close();
    await database?.drop();
  });

  it('adds bulk inserts and updates to the rollups through their keys, never a sequential scan', async () => {
    const { rows: before } = await client.query<{ relname: string; reltuples: number }>(
      `SELECT relname, reltuples FROM pg_class WHERE relname = ANY($1) ORDER BY relname`,
      [ROLLUPS],
    );
    expect(before.map((r) => r.reltuples)).toEqual(ROLLUPS.map(() => 0));

    await client.query('BEGIN');
    // One statement of confirmed bookings over several events, days and currencies, as a bulk load.
    await client.query(
      `INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                             paid_cents, expires_at, created_at, confirmed_at)
       SELECT gen_random_uuid(), $1, e.id, e.tt, 1, 'confirmed', 1500, tt.currency, 1500,
              now() - d * interval '1 day' + interval '10 minutes', now() - d * interval '1 day',
              now() - d * interval '1 day' + interval '1 minute'
         FROM unnest($2::uuid[], $3::uuid[]) AS e(id, tt)
         JOIN ticket_types tt ON tt.id = e.tt
         CROSS JOIN generate_series(0, $4::int - 1) AS d`,
      [buyer, events.map((e) => e.id), events.map((e) => e.ticketType), DAYS],
    );
    await client.query(`UPDATE user_event_tickets SET quantity = $2 WHERE user_id = $1`, [buyer, DAYS]);
    // Then one statement that cancels a booking of every event (the update trigger).
    await client.query(
      `UPDATE bookings b SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'cancelled_by_user',
                             refunded_cents = b.paid_cents
        WHERE b.id IN (SELECT DISTINCT ON (event_id) id FROM bookings ORDER BY event_id, created_at)`,
    );
    await client.query(`UPDATE user_event_tickets SET quantity = quantity - 1 WHERE user_id = $1`, [buyer]);
    const { rows: scans } = await client.query<ScanCounts>(
      `SELECT relname, seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = ANY($1) ORDER BY relname`,
      [ROLLUPS],
    );
    await client.query('COMMIT');

    expect(scans.map((s) => s.relname)).toEqual([...ROLLUPS].sort());
    for (const scan of scans) {
      expect({ table: scan.relname, seqScans: Number(scan.seq_scan) }).toEqual({
        table: scan.relname,
        seqScans: 0,
      });
      expect(Number(scan.idx_scan), scan.relname).toBeGreaterThan(0);
    }
    const report = await verifyRollups(handle.db);
    expect(report.mismatches).toEqual([]);
    expect(report.consistent).toBe(true);
  });
});
