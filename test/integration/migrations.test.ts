// Migrations on a database that already holds data: 0007 moves the bookings' foreign keys onto
// the buyers' counters, so bookings written before it (by anything but the engine) must get a
// counter with their live tickets; 0013 splits the rollups of past sales by currency; and every
// migration since 0006 comes back down and up again.
import { randomBytes, randomUUID } from 'node:crypto';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrations } from '../../src/platform/db/migrations/index.js';
import { adminQuery, databaseUrl } from '../helpers/postgres-server.js';

describe('migrations over existing data', () => {
  const adminUrl = inject('pgAdminUrl');
  const runId = inject('pgTemplate').replace('evently_tpl_', '');
  const name = `evently_t_${runId}_${randomBytes(6).toString('hex')}`;
  let db: Kysely<unknown>;
  let migrator: Migrator;

  beforeAll(async () => {
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    db = new Kysely<unknown>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: databaseUrl(adminUrl, name), max: 2 }),
      }),
    });
    migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  });
  afterAll(async () => {
    await db.destroy();
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  const migrateTo = async (target: string) => {
    const { error } = await migrator.migrateTo(target);
    if (error) throw error;
  };
  const latest = Object.keys(migrations).at(-1) as string;
  const bookingForeignKeys = async () => {
    const { rows } = await sql<{ conname: string }>`
      SELECT conname FROM pg_constraint WHERE conrelid = 'bookings'::regclass AND contype = 'f' ORDER BY 1`.execute(
      db,
    );
    return rows.map((r) => r.conname);
  };

  it('0007 gives bookings written without a counter one that counts their live tickets', async () => {
    await migrateTo('0006_payment_ledger');
    const [held, cancelled] = [randomUUID(), randomUUID()];
    const event = randomUUID();
    const ticketType = randomUUID();
    await sql`INSERT INTO users (id, email, name, password_hash)
              VALUES (${held}, 'held@example.test', 'Held', 'x'), (${cancelled}, 'gone@example.test', 'Gone', 'x')`.execute(
      db,
    );
    await sql`INSERT INTO events (id, name, venue_name, venue_city, starts_at, status, max_tickets_per_user, hold_ttl_seconds)
              VALUES (${event}, 'Old data', 'Hall', 'Lisbon', now() + interval '30 days', 'published', 10, 600)`.execute(
      db,
    );
    await sql`INSERT INTO ticket_types (id, event_id, name, price_cents, currency, capacity, available)
              VALUES (${ticketType}, ${event}, 'GA', 1000, 'EUR', 100, 97)`.execute(db);
    await sql`INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                                    expires_at, cancelled_at)
              VALUES (${randomUUID()}, ${held}, ${event}, ${ticketType}, 3, 'held', 3000, 'EUR', now() + interval '10 minutes', NULL),
                     (${randomUUID()}, ${cancelled}, ${event}, ${ticketType}, 2, 'cancelled', 2000, 'EUR', now(), now())`.execute(
      db,
    );

    await migrateTo(latest);

    const { rows } = await sql<{ user_id: string; quantity: number }>`
      SELECT user_id, quantity FROM user_event_tickets WHERE event_id = ${event}`.execute(db);
    expect(Object.fromEntries(rows.map((r) => [r.user_id, r.quantity]))).toEqual({
      [held]: 3,
      [cancelled]: 0,
    });
    // From now on a booking needs its buyer's counter, and its ticket type's event.
    const stranger = randomUUID();
    await sql`INSERT INTO users (id, email, name, password_hash) VALUES (${stranger}, 'new@example.test', 'New', 'x')`.execute(
      db,
    );
    await expect(
      sql`INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency, expires_at)
          VALUES (${randomUUID()}, ${stranger}, ${event}, ${ticketType}, 1, 'held', 1000, 'EUR', now())`.execute(
        db,
      ),
    ).rejects.toMatchObject({ code: '23503', constraint: 'bookings_buyer_counter_fkey' });
  });

  it('every migration since 0006 goes down and up again over that data', async () => {
    await migrateTo('0006_payment_ledger');
    expect(await bookingForeignKeys()).toEqual([
      'bookings_event_id_fkey',
      'bookings_ticket_type_id_fkey',
      'bookings_user_id_fkey',
    ]);
    await migrateTo(latest);
    expect(await bookingForeignKeys()).toEqual([
      'bookings_buyer_counter_fkey',
      'bookings_ticket_type_event_fkey',
    ]);
  });

  it('0013 splits the day rollups of existing sales by currency, and goes back down', async () => {
    await migrateTo('0012_idempotency_owner');
    const [buyer, event, euros, pounds] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await sql`INSERT INTO users (id, email, name, password_hash) VALUES (${buyer}, 'fx@example.test', 'Fx', 'x')`.execute(
      db,
    );
    await sql`INSERT INTO events (id, name, venue_name, venue_city, starts_at, status, max_tickets_per_user, hold_ttl_seconds)
              VALUES (${event}, 'Two currencies', 'Hall', 'Dover', now() + interval '30 days', 'published', 10, 600)`.execute(
      db,
    );
    await sql`INSERT INTO ticket_types (id, event_id, name, price_cents, currency, capacity, available)
              VALUES (${euros}, ${event}, 'Euro', 1500, 'EUR', 100, 98), (${pounds}, ${event}, 'Pound', 2500, 'GBP', 100, 99)`.execute(
      db,
    );
    await sql`INSERT INTO user_event_tickets (user_id, event_id, quantity) VALUES (${buyer}, ${event}, 3)`.execute(
      db,
    );
    await sql`INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                                    paid_cents, expires_at, confirmed_at)
              VALUES (${randomUUID()}, ${buyer}, ${event}, ${euros}, 2, 'confirmed', 3000, 'EUR', 3000, now(), now()),
                     (${randomUUID()}, ${buyer}, ${event}, ${pounds}, 1, 'confirmed', 2500, 'GBP', 2500, now(), now())`.execute(
      db,
    );
    const monthly = async () => {
      const { rows } = await sql<Record<string, unknown>>`
        SELECT to_jsonb(m) - 'event_id' - 'month' - 'shard' AS figures FROM event_monthly_stats m
         WHERE event_id = ${event} ORDER BY to_jsonb(m)->>'currency'`.execute(db);
      return rows.map((r) => r.figures);
    };
    // Before: one row whose revenue adds euro cents to pence.
    expect(await monthly()).toEqual([
      { bookings: 2, tickets_sold: 3, revenue_cents: 5500, cancellations: 0 },
    ]);

    await migrateTo(latest);
    const split = [
      { currency: 'EUR', bookings: 1, tickets_sold: 2, revenue_cents: 3000, cancellations: 0 },
      { currency: 'GBP', bookings: 1, tickets_sold: 1, revenue_cents: 2500, cancellations: 0 },
    ];
    expect(await monthly()).toEqual(split);
    // The triggers write per currency from now on: a refund lands on its own currency.
    await sql`UPDATE bookings SET refunded_cents = 1000 WHERE ticket_type_id = ${pounds}`.execute(db);
    expect(await monthly()).toEqual([split[0], { ...split[1], revenue_cents: 1500 }]);

    await migrateTo('0012_idempotency_owner');
    expect(await monthly()).toEqual([
      { bookings: 2, tickets_sold: 3, revenue_cents: 4500, cancellations: 0 },
    ]);
    await migrateTo(latest);
  });
});
