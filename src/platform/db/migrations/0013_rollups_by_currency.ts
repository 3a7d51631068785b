// The day-based analytics rollups are keyed by currency as well, so revenue in different
// currencies is never added together.
//
// A ticket type has its own currency (the demo sells in EUR and GBP), but the rollups of 0003
// summed every booking's paid minus refunded minor units per event, per month and per day for the
// whole platform: 10 EUR and 10 GBP made "2000". Every key of event_daily_stats,
// event_monthly_stats and global_daily_stats now carries the booking's currency (the currency it
// was sold in, even if its ticket type's currency changes later). The counts (bookings, tickets
// sold, cancellations) are split by currency too and readers add them up; revenue is reported per
// currency. A batch of reservations is one ticket type, so one currency: the triggers write as many
// rollup rows as before.
//
// The three rollups are rebuilt from bookings, set-based, with writers shut out until the new
// trigger functions exist (the migration runs in one transaction). ticket_type_stats stays as it
// is: a ticket type's bookings share its currency unless an admin changed it after selling, and
// every revenue figure the API reports comes from the day-based rollups.
import { type Kysely, sql } from 'kysely';
import { dayDeltas, FIGURES, NEW_ROWS, triggerFunction } from './0003_analytics_rollups.js';
import { LOCK_RELEASES_0007, releaseTriggers } from './0007_lighter_hold_writes.js';

/** The day-based rollups: their key before currency, and the `kind` of dayDeltas rows they hold. */
const ROLLUPS = [
  { table: 'event_daily_stats', key: ['event_id', 'day'], kind: 1 },
  { table: 'event_monthly_stats', key: ['event_id', 'month'], kind: 2 },
  { table: 'global_daily_stats', key: ['day'], kind: 3 },
];

async function rebuild(db: Kysely<unknown>, byCurrency: boolean): Promise<void> {
  const key = byCurrency ? 'currency, ' : '';
  const figures = FIGURES.join(', ');
  await sql`LOCK TABLE bookings IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`TRUNCATE event_daily_stats, event_monthly_stats, global_daily_stats`.execute(db);
  await sql`DROP INDEX event_daily_stats_day_idx`.execute(db);
  const column = byCurrency ? 'ADD COLUMN currency char(3) NOT NULL,' : 'DROP COLUMN currency,';
  for (const rollup of ROLLUPS) {
    await sql
      .raw(`ALTER TABLE ${rollup.table} DROP CONSTRAINT ${rollup.table}_pkey, ${column}
              ADD PRIMARY KEY (${rollup.key.join(', ')}, ${key}shard)`)
      .execute(db);
  }
  // As in 0003: the summaries' loose days at either end of a period are an index-only scan.
  await sql
    .raw(`CREATE INDEX event_daily_stats_day_idx ON event_daily_stats (day)
            INCLUDE (event_id, ${key}${figures})`)
    .execute(db);

  // dayDeltas names every row's date `day`, the month of a monthly row included.
  const days = dayDeltas('SELECT 1 AS sign, b.* FROM bookings b', byCurrency);
  for (const rollup of ROLLUPS) {
    const source = rollup.key.map((column) => (column === 'month' ? 'day' : column)).join(', ');
    await sql
      .raw(`INSERT INTO ${rollup.table} (${rollup.key.join(', ')}, ${key}shard, ${figures})
            SELECT ${source}, ${key}0, ${figures} FROM (${days}) d WHERE kind = ${rollup.kind}`)
      .execute(db);
  }

  // Fresh statistics for the rebuilt tables, so the reports' first plans are good ones (VACUUM,
  // which sets the visibility map for their index-only scans, cannot run in a transaction; the
  // autovacuum of inserted rows does it). Not when they are empty: ANALYZE would record them as
  // known to be empty, and plans made on that scan them whole (see 0014).
  const { rows } = await sql<{ sold: boolean }>`SELECT EXISTS (SELECT 1 FROM bookings) AS sold`.execute(db);
  if (rows[0]?.sold)
    await sql`ANALYZE event_daily_stats, event_monthly_stats, global_daily_stats`.execute(db);

  await sql
    .raw(triggerFunction('analytics_bookings_inserted', 'new_rows', '', NEW_ROWS, byCurrency))
    .execute(db);
  await releaseTriggers(LOCK_RELEASES_0007.update, LOCK_RELEASES_0007.delete, db, byCurrency);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, false);
}
