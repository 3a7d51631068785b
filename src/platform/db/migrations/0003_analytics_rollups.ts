// Analytics rollups kept by statement-level triggers on bookings, in the transaction of the booking
// change: a rollup can never disagree with the bookings it summarises, and no job has to catch up.
//
// Every rollup is a sum of one "contribution" per booking, a pure function of the booking's current
// row; a statement adds contribution(new rows) - contribution(old rows), aggregated per key, so a
// batch of 256 reservations is one update per rollup row, not 256. Contributions (days in UTC):
//   bookings      +1 on the day the booking was created
//   tickets sold  quantity while status = 'confirmed', on the day it was confirmed
//   revenue       paid_cents - refunded_cents, on the day it was confirmed (created, if never)
//   cancellations +1 while status = 'cancelled', on the day it was cancelled
//   held          quantity while status = 'held' (per ticket type, current state only)
//
// A key may be split over several rows (shards 0, 1, ...) that readers sum. A writer adds to the
// lowest shard no other transaction holds (SKIP LOCKED) and opens the next shard only when all are
// held: concurrent bookings of one event never queue on its rollup rows, while a key written by one
// transaction at a time stays a single row.
import { type Kysely, sql } from 'kysely';

/** The signed booking rows a statement changed, as `sign, <bookings columns>`. */
type ChangeSource = string;

const utcDay = (column: string) => `((${column}) AT TIME ZONE 'UTC')::date`;

export const FIGURES = ['bookings', 'tickets_sold', 'revenue_cents', 'cancellations'];
const TT_FIGURES = ['bookings', 'held', 'sold', 'revenue_cents', 'cancellations'];
const nonZero = (figures: string[]) => `(${figures.join(', ')}) <> (${figures.map(() => '0').join(', ')})`;
const sums = (figures: string[]) => figures.map((f) => `sum(${f})::bigint AS ${f}`).join(', ');

/** Per ticket type, in key order: the source's contribution to ticket_type_stats. */
const ticketTypeDeltas = (source: ChangeSource) => `
  SELECT d.* FROM (
    SELECT c.ticket_type_id, c.event_id,
           sum(c.sign)::int AS bookings,
           sum(CASE WHEN c.status = 'held' THEN c.sign * c.quantity ELSE 0 END)::int AS held,
           sum(CASE WHEN c.status = 'confirmed' THEN c.sign * c.quantity ELSE 0 END)::int AS sold,
           sum(c.sign::bigint * (c.paid_cents - c.refunded_cents))::bigint AS revenue_cents,
           sum(CASE WHEN c.status = 'cancelled' THEN c.sign ELSE 0 END)::int AS cancellations
      FROM (${source}) c
     GROUP BY c.ticket_type_id, c.event_id) d
   WHERE ${nonZero(TT_FIGURES)}
   ORDER BY d.ticket_type_id`;

/**
 * The source's contributions per (event, UTC day): a booking counts on the day it was created; its
 * sale and revenue on the day it was confirmed; its cancellation on the day it was cancelled. Then,
 * tagged by `kind`, the rows of the three day-based rollups: 1 per (event, day), 2 per (event,
 * month), 3 per day for the whole platform; in kind and key order. Keys whose contributions cancel
 * out (a hold that expires) are dropped. With `byCurrency` (migration 0013) every key also has the
 * booking's currency, so revenue in different currencies is never added up.
 */
export const dayDeltas = (source: ChangeSource, byCurrency = false) => {
  const cur = byCurrency ? 'c.currency, ' : '';
  const key = byCurrency ? 'currency, ' : '';
  return `
  WITH days AS MATERIALIZED (
    SELECT * FROM (
      SELECT p.event_id, ${key}p.day, ${sums(FIGURES)}
        FROM (
          SELECT c.event_id, ${cur}${utcDay('c.created_at')} AS day, c.sign AS bookings, 0 AS tickets_sold,
                 0::bigint AS revenue_cents, 0 AS cancellations
            FROM (${source}) c
          UNION ALL
          SELECT c.event_id, ${cur}${utcDay('coalesce(c.confirmed_at, c.created_at)')}, 0,
                 CASE WHEN c.status = 'confirmed' THEN c.sign * c.quantity ELSE 0 END,
                 c.sign::bigint * (c.paid_cents - c.refunded_cents), 0
            FROM (${source}) c
           WHERE c.status = 'confirmed' OR c.paid_cents <> c.refunded_cents
          UNION ALL
          SELECT c.event_id, ${cur}${utcDay('c.cancelled_at')}, 0, 0, 0::bigint, c.sign
            FROM (${source}) c
           WHERE c.status = 'cancelled'
        ) p
       GROUP BY p.event_id, ${key}p.day
    ) d WHERE ${nonZero(FIGURES)}
  )
  SELECT 1 AS kind, event_id, ${key}day, ${FIGURES.join(', ')} FROM days
  UNION ALL
  SELECT 2, event_id, ${key}month, ${FIGURES.join(', ')}
    FROM (SELECT event_id, ${key}date_trunc('month', day::timestamp)::date AS month, ${sums(FIGURES)} FROM days GROUP BY ${byCurrency ? '1, 2, 3' : '1, 2'}) m
   WHERE ${nonZero(FIGURES)}
  UNION ALL
  SELECT 3, NULL::uuid, ${key}day, ${FIGURES.join(', ')}
    FROM (SELECT ${key}day, ${sums(FIGURES)} FROM days GROUP BY ${key}day) g
   WHERE ${nonZero(FIGURES)}
  ORDER BY ${byCurrency ? '1, 2, 3, 4' : '1, 2, 3'}`;
};

/**
 * PL/pgSQL adding the figures of record `r` to one rollup key: into the lowest shard row nobody
 * else holds, else into a new shard. SKIP LOCKED never waits; only two transactions opening the
 * same new shard at the same instant wait for each other (ON CONFLICT), and then merge.
 */
function addToKey(
  table: string,
  key: Record<string, string>,
  figures: string[],
  extra: Record<string, string> = {},
) {
  const match = (alias: string) =>
    Object.entries(key)
      .map(([column, value]) => `${alias}.${column} = ${value}`)
      .join(' AND ');
  const columns = [...Object.keys(key), 'shard', ...Object.keys(extra), ...figures];
  const values = [
    ...Object.values(key),
    'coalesce(max(x.shard) + 1, 0)',
    ...Object.values(extra),
    ...figures.map((f) => `r.${f}`),
  ];
  return `
        UPDATE ${table} s SET ${figures.map((f) => `${f} = s.${f} + r.${f}`).join(', ')}
         WHERE ${match('s')}
           AND s.shard = (SELECT x.shard FROM ${table} x WHERE ${match('x')}
                           ORDER BY x.shard LIMIT 1 FOR UPDATE SKIP LOCKED);
        IF NOT FOUND THEN
          INSERT INTO ${table} AS s (${columns.join(', ')})
          SELECT ${values.join(', ')} FROM ${table} x WHERE ${match('x')}
          ON CONFLICT (${Object.keys(key).join(', ')}, shard) DO UPDATE
             SET ${figures.map((f) => `${f} = s.${f} + excluded.${f}`).join(', ')};
        END IF;`;
}

export const NEW_ROWS = 'SELECT 1 AS sign, n.* FROM new_rows n';
export const OLD_ROWS = 'SELECT -1 AS sign, o.* FROM old_rows o';

/**
 * Statements that return seats (held|confirmed -> anything else, or a deleted live hold) go on to
 * update ticket_types. Taking those row locks first, in id order, keeps one lock order everywhere
 * (ticket type, then rollups): a reservation batch holds its ticket type before it writes rollups.
 */
export const LOCK_RELEASED_UPDATE = `
      PERFORM 1 FROM ticket_types
        WHERE id IN (SELECT o.ticket_type_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                      WHERE o.status IN ('held', 'confirmed') AND n.status NOT IN ('held', 'confirmed'))
        ORDER BY id FOR NO KEY UPDATE;`;
export const LOCK_RELEASED_DELETE = `
      PERFORM 1 FROM ticket_types
        WHERE id IN (SELECT o.ticket_type_id FROM old_rows o WHERE o.status IN ('held', 'confirmed'))
        ORDER BY id FOR NO KEY UPDATE;`;

/**
 * Rollup tables in the one order every writer follows, each in key order. `byCurrency`: the
 * day-based rollups are keyed by currency too (migration 0013). `OR REPLACE`, so that later
 * migrations (0007, 0013) redefine a trigger's function with the same call.
 */
export function triggerFunction(
  name: string,
  probe: string,
  lock: string,
  source: ChangeSource,
  byCurrency = false,
): string {
  const currency: Record<string, string> = byCurrency ? { currency: 'r.currency' } : {};
  return `
    CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      r record;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM ${probe}) THEN
        RETURN NULL;
      END IF;
      ${lock}
      FOR r IN ${ticketTypeDeltas(source)} LOOP
        ${addToKey('ticket_type_stats', { ticket_type_id: 'r.ticket_type_id' }, TT_FIGURES, { event_id: 'r.event_id' })}
      END LOOP;
      FOR r IN ${dayDeltas(source, byCurrency)} LOOP
        IF r.kind = 1 THEN
          ${addToKey('event_daily_stats', { event_id: 'r.event_id', day: 'r.day', ...currency }, FIGURES)}
        ELSIF r.kind = 2 THEN
          ${addToKey('event_monthly_stats', { event_id: 'r.event_id', month: 'r.day', ...currency }, FIGURES)}
        ELSE
          ${addToKey('global_daily_stats', { day: 'r.day', ...currency }, FIGURES)}
        END IF;
      END LOOP;
      RETURN NULL;
    END
    $fn$`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ticket_type_stats (
      ticket_type_id uuid NOT NULL REFERENCES ticket_types(id) ON DELETE CASCADE,
      shard smallint NOT NULL,
      event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      bookings integer NOT NULL DEFAULT 0,
      held integer NOT NULL DEFAULT 0,
      sold integer NOT NULL DEFAULT 0,
      revenue_cents bigint NOT NULL DEFAULT 0,
      cancellations integer NOT NULL DEFAULT 0,
      PRIMARY KEY (ticket_type_id, shard)
    )`.execute(db);
  await sql`CREATE INDEX ticket_type_stats_event_idx ON ticket_type_stats (event_id)`.execute(db);

  await sql`
    CREATE TABLE event_daily_stats (
      event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      day date NOT NULL,
      shard smallint NOT NULL,
      bookings integer NOT NULL DEFAULT 0,
      tickets_sold integer NOT NULL DEFAULT 0,
      revenue_cents bigint NOT NULL DEFAULT 0,
      cancellations integer NOT NULL DEFAULT 0,
      PRIMARY KEY (event_id, day, shard)
    )`.execute(db);
  // Summaries read every event's figures over the loose days at either end of the period: an
  // index-only scan here. It costs HOT updates on this table (its figures are indexed), an accepted
  // price since a booking statement updates one or two rows of it.
  await sql`
    CREATE INDEX event_daily_stats_day_idx ON event_daily_stats (day)
      INCLUDE (event_id, bookings, tickets_sold, revenue_cents, cancellations)`.execute(db);

  await sql`
    CREATE TABLE event_monthly_stats (
      event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      shard smallint NOT NULL,
      bookings integer NOT NULL DEFAULT 0,
      tickets_sold integer NOT NULL DEFAULT 0,
      revenue_cents bigint NOT NULL DEFAULT 0,
      cancellations integer NOT NULL DEFAULT 0,
      PRIMARY KEY (event_id, month, shard)
    )`.execute(db);
  await sql`CREATE INDEX event_monthly_stats_month_idx ON event_monthly_stats (month)`.execute(db);

  await sql`
    CREATE TABLE global_daily_stats (
      day date NOT NULL,
      shard smallint NOT NULL,
      bookings integer NOT NULL DEFAULT 0,
      tickets_sold integer NOT NULL DEFAULT 0,
      revenue_cents bigint NOT NULL DEFAULT 0,
      cancellations integer NOT NULL DEFAULT 0,
      PRIMARY KEY (day, shard)
    )`.execute(db);

  // Existing bookings: folded in once, set-based, with writers shut out until the triggers exist
  // (the migration runs in one transaction).
  await sql`LOCK TABLE bookings IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  const all = 'SELECT 1 AS sign, b.* FROM bookings b';
  const columns = (figures: string[]) => figures.join(', ');
  await sql
    .raw(`INSERT INTO ticket_type_stats (ticket_type_id, shard, event_id, ${columns(TT_FIGURES)})
          SELECT ticket_type_id, 0, event_id, ${columns(TT_FIGURES)} FROM (${ticketTypeDeltas(all)}) d`)
    .execute(db);
  const days = dayDeltas(all);
  await sql
    .raw(`INSERT INTO event_daily_stats (event_id, day, shard, ${columns(FIGURES)})
          SELECT event_id, day, 0, ${columns(FIGURES)} FROM (${days}) d WHERE kind = 1`)
    .execute(db);
  await sql
    .raw(`INSERT INTO event_monthly_stats (event_id, month, shard, ${columns(FIGURES)})
          SELECT event_id, day, 0, ${columns(FIGURES)} FROM (${days}) d WHERE kind = 2`)
    .execute(db);
  await sql
    .raw(`INSERT INTO global_daily_stats (day, shard, ${columns(FIGURES)})
          SELECT day, 0, ${columns(FIGURES)} FROM (${days}) d WHERE kind = 3`)
    .execute(db);

  await sql.raw(triggerFunction('analytics_bookings_inserted', 'new_rows', '', NEW_ROWS)).execute(db);
  await sql
    .raw(
      triggerFunction(
        'analytics_bookings_updated',
        'new_rows',
        LOCK_RELEASED_UPDATE,
        `${NEW_ROWS} UNION ALL ${OLD_ROWS}`,
      ),
    )
    .execute(db);
  await sql
    .raw(triggerFunction('analytics_bookings_deleted', 'old_rows', LOCK_RELEASED_DELETE, OLD_ROWS))
    .execute(db);
  await sql`
    CREATE FUNCTION analytics_bookings_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      TRUNCATE ticket_type_stats, event_daily_stats, event_monthly_stats, global_daily_stats;
      RETURN NULL;
    END
    $fn$`.execute(db);

  await sql`
    CREATE TRIGGER bookings_analytics_inserted AFTER INSERT ON bookings
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_bookings_inserted()`.execute(db);
  await sql`
    CREATE TRIGGER bookings_analytics_updated AFTER UPDATE ON bookings
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_bookings_updated()`.execute(db);
  await sql`
    CREATE TRIGGER bookings_analytics_deleted AFTER DELETE ON bookings
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_bookings_deleted()`.execute(db);
  await sql`
    CREATE TRIGGER bookings_analytics_truncated AFTER TRUNCATE ON bookings
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_bookings_truncated()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS bookings_analytics_inserted ON bookings`.execute(db);
  await sql`DROP TRIGGER IF EXISTS bookings_analytics_updated ON bookings`.execute(db);
  await sql`DROP TRIGGER IF EXISTS bookings_analytics_deleted ON bookings`.execute(db);
  await sql`DROP TRIGGER IF EXISTS bookings_analytics_truncated ON bookings`.execute(db);
  await sql`
    DROP FUNCTION IF EXISTS analytics_bookings_inserted(), analytics_bookings_updated(), analytics_bookings_deleted(),
                            analytics_bookings_truncated()`.execute(db);
  await sql`DROP TABLE IF EXISTS global_daily_stats, event_monthly_stats, event_daily_stats, ticket_type_stats`.execute(
    db,
  );
}
