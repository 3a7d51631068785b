// The analytics triggers find their rollup rows through the rollups' keys, whatever the
// statistics say (as 0009 does for the allocation function).
//
// A trigger's PL/pgSQL keeps one plan per statement per connection. Migration 0013 analyzed the
// rollups it rebuilt; in a new database they were empty, and ANALYZE records an empty table as
// known to be empty (a table never analyzed is assumed to have some pages). Every look-up of a
// rollup key was then planned as a scan of the whole table, and that plan stayed while a bulk
// statement added thousands of keys: loading the analytics bench's million bookings into a fresh
// database took 37 s for the first 50,000 and 130 s for the next (83 s for all of them before
// 0013), and a `pg_stat_xact_user_tables` count showed 72 sequential scans of event_daily_stats
// for 24 bookings. Autovacuum's next ANALYZE would have mended it for later plans; a bulk
// statement does not wait for that. With sequential scans priced out inside the trigger functions
// the same load took 7.4-8.4 s per 50,000 (on statistics that say empty, the planner may still
// prefer another index to the key), and 2.2-2.5 s once 0013 no longer analyzed empty rollups.
//
// A later migration that redefines these functions must set it again (CREATE OR REPLACE resets a
// function's settings): `rollupTriggerPlans`. 0013's down does redefine them, after this down.
import { type Kysely, sql } from 'kysely';

export const ROLLUP_TRIGGER_FUNCTIONS = [
  'analytics_bookings_inserted()',
  'analytics_bookings_updated()',
  'analytics_bookings_deleted()',
];

export async function rollupTriggerPlans(db: Kysely<unknown>, keysOnly: boolean): Promise<void> {
  for (const fn of ROLLUP_TRIGGER_FUNCTIONS) {
    const setting = keysOnly ? 'SET enable_seqscan = off' : 'RESET enable_seqscan';
    await sql.raw(`ALTER FUNCTION ${fn} ${setting}`).execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await rollupTriggerPlans(db, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rollupTriggerPlans(db, false);
}
