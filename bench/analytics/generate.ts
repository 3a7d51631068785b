// Loads a year of ticket sales set-based (INSERT ... SELECT generate_series): users, events spread
// over the past year and next month, two ticket types each, and bookings in every state. Bookings
// go in through the analytics triggers, in large statements, so the rollups are exactly what the
// booking engine would have produced (a rollup is a sum of per-booking contributions that depend
// only on the booking's final row, whatever path led there). Afterwards ticket_types.available and
// the per-user counters are set to match, so the booking engine's invariants hold on this data too.
// Tickets and payment rows are not generated: analytics reads neither.
import type pg from 'pg';

export interface DatasetSpec {
  events: number;
  bookings: number;
  users: number;
}

export const DEFAULT_SPEC: DatasetSpec = { events: 10_000, bookings: 1_000_000, users: 50_000 };

/** Bookings per INSERT statement: each is one trigger run over a transition table this large. */
const CHUNK = 50_000;

const uuidOf = (prefix: string, n: string) => `md5('${prefix}' || (${n}))::uuid`;

export async function generateDataset(
  client: pg.Client,
  spec: DatasetSpec,
  log: (line: string) => void,
): Promise<{ seconds: number }> {
  const started = performance.now();
  const step = async (label: string, statement: string, params: unknown[] = []) => {
    const t0 = performance.now();
    const result = await client.query(statement, params);
    log(`  ${label}: ${result.rowCount ?? 0} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  await client.query('SELECT setseed(0.4242)');

  await step(
    'users',
    `INSERT INTO users (id, email, name, password_hash)
     SELECT ${uuidOf('user', 'g')}, 'analytics-bench-' || g || '@bench.evently.test', 'Bench buyer ' || g, 'not-a-login-account'
       FROM generate_series(1, $1::int) AS g`,
    [spec.users],
  );

  // Events start evenly from 300 days ago to 30 days ahead, at 19:00 UTC.
  await step(
    'events',
    `INSERT INTO events (id, name, description, category, venue_name, venue_city, starts_at, status,
                         max_tickets_per_user, hold_ttl_seconds, created_at)
     SELECT ${uuidOf('event', 'g')}, 'Bench event ' || lpad(g::text, 5, '0'), '', (ARRAY['music', 'sport', 'theatre', 'talk'])[1 + g % 4],
            'Hall ' || (g % 97), (ARRAY['Lisbon', 'Porto', 'Madrid', 'Berlin', 'Paris'])[1 + g % 5],
            date_trunc('day', now()) - interval '300 days' + (g * interval '330 days') / $1::int + interval '19 hours',
            'published', 10, 300, now() - interval '400 days'
       FROM generate_series(1, $1::int) AS g`,
    [spec.events],
  );

  await step(
    'ticket types',
    `INSERT INTO ticket_types (id, event_id, name, price_cents, currency, capacity, available, position)
     SELECT ${uuidOf('tt', "g || '-' || k")}, ${uuidOf('event', 'g')}, CASE k WHEN 1 THEN 'General' ELSE 'VIP' END,
            CASE k WHEN 1 THEN 2500 ELSE 9000 END, 'USD', CASE k WHEN 1 THEN 400 ELSE 120 END,
            CASE k WHEN 1 THEN 400 ELSE 120 END, k
       FROM generate_series(1, $1::int) AS g CROSS JOIN generate_series(1, 2) AS k`,
    [spec.events],
  );

  // Bulk load: bookings reference their buyer's counter row, which is derived from the bookings
  // below, so the two foreign keys are dropped for the load and validated once at the end.
  await step(
    'foreign keys off for the load',
    `ALTER TABLE bookings DROP CONSTRAINT bookings_buyer_counter_fkey,
                          DROP CONSTRAINT bookings_ticket_type_event_fkey`,
  );

  // Each event sells over the 60 days before it starts (or until now). Fates: 70% confirmed,
  // 10% confirmed then cancelled (refunded), 5% cancelled while held, 12% expired, 3% still held
  // (future events only; otherwise expired).
  await client.query(`
    CREATE TEMP TABLE bench_windows AS
    SELECT g AS n, e.id, e.starts_at, e.starts_at - interval '60 days' AS opens,
           least(e.starts_at - interval '1 hour', now() - interval '15 minutes') AS closes
      FROM generate_series(1, ${spec.events}) AS g JOIN events e ON e.id = ${uuidOf('event', 'g')}`);
  await client.query('CREATE UNIQUE INDEX ON bench_windows (n)');
  const perEvent = Math.ceil(spec.bookings / spec.events);
  for (let first = 1; first <= spec.bookings; first += CHUNK) {
    const last = Math.min(spec.bookings, first + CHUNK - 1);
    await step(
      `bookings ${first}..${last}`,
      `INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                             paid_cents, refunded_cents, expires_at, created_at, confirmed_at, cancelled_at, expired_at,
                             cancel_reason)
       SELECT ${uuidOf('booking', 'b.i')}, ${uuidOf('user', '1 + floor(b.r_user * $3::int)::int')}, w.id,
              ${uuidOf('tt', "w.n || '-' || b.k")}, b.q, f.status, b.q * b.price, 'USD',
              CASE WHEN f.confirmed_at IS NULL THEN 0 ELSE b.q * b.price END,
              CASE WHEN f.fate = 'refunded' THEN b.q * b.price ELSE 0 END,
              f.created_at + interval '300 seconds', f.created_at, f.confirmed_at,
              CASE f.fate WHEN 'refunded' THEN least(f.confirmed_at + b.r_later * interval '20 days', now())
                          WHEN 'dropped' THEN f.created_at + b.r_later * interval '4 minutes' END,
              CASE WHEN f.fate = 'expired' THEN f.created_at + interval '300 seconds' END,
              CASE WHEN f.fate IN ('refunded', 'dropped') THEN 'cancelled_by_user' END
         FROM (SELECT i, 1 + (i - 1) / ${perEvent} AS n, CASE WHEN random() < 0.8 THEN 1 ELSE 2 END AS k,
                      1 + floor(random() * 4)::int AS q, random() AS r_user, random() AS r_time, random() AS r_fate,
                      random() AS r_pay, random() AS r_later
                 FROM generate_series($1::int, $2::int) AS i) s
         CROSS JOIN LATERAL (SELECT s.*, CASE s.k WHEN 1 THEN 2500 ELSE 9000 END AS price) b
         JOIN bench_windows w ON w.n = b.n
         CROSS JOIN LATERAL (
           SELECT x.fate,
                  CASE WHEN x.fate = 'held' THEN now() - b.r_time * interval '4 minutes'
                       ELSE w.opens + b.r_time * (w.closes - w.opens) END AS created_at
             FROM (SELECT CASE WHEN b.r_fate < 0.70 THEN 'confirmed' WHEN b.r_fate < 0.80 THEN 'refunded'
                               WHEN b.r_fate < 0.85 THEN 'dropped'
                               WHEN b.r_fate < 0.97 OR w.starts_at < now() + interval '1 day' THEN 'expired'
                               ELSE 'held' END AS fate) x
         ) c
         CROSS JOIN LATERAL (
           SELECT c.fate, c.created_at,
                  CASE c.fate WHEN 'confirmed' THEN 'confirmed' WHEN 'refunded' THEN 'cancelled'
                              WHEN 'dropped' THEN 'cancelled' ELSE c.fate END AS status,
                  CASE WHEN c.fate IN ('confirmed', 'refunded')
                       THEN least(c.created_at + b.r_pay * interval '4 minutes', now()) END AS confirmed_at
         ) f`,
      [first, last, spec.users],
    );
  }

  await step(
    'ticket type availability',
    `UPDATE ticket_types tt SET capacity = greatest(tt.capacity, l.live), available = greatest(tt.capacity, l.live) - l.live
       FROM (SELECT ticket_type_id, sum(quantity)::int AS live FROM bookings
              WHERE status IN ('held', 'confirmed') GROUP BY ticket_type_id) l
      WHERE tt.id = l.ticket_type_id`,
  );
  await step(
    'per-user counters',
    `INSERT INTO user_event_tickets (user_id, event_id, quantity)
     SELECT user_id, event_id, sum(CASE WHEN status IN ('held', 'confirmed') THEN quantity ELSE 0 END)
       FROM bookings GROUP BY 1, 2`,
  );
  await step(
    'foreign keys validated',
    `ALTER TABLE bookings
       ADD CONSTRAINT bookings_buyer_counter_fkey
         FOREIGN KEY (user_id, event_id) REFERENCES user_event_tickets (user_id, event_id),
       ADD CONSTRAINT bookings_ticket_type_event_fkey
         FOREIGN KEY (ticket_type_id, event_id) REFERENCES ticket_types (id, event_id)`,
  );
  await client.query('DROP TABLE bench_windows');
  const t0 = performance.now();
  await client.query('VACUUM (ANALYZE)');
  log(`  vacuum analyze: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { seconds: (performance.now() - started) / 1000 };
}
