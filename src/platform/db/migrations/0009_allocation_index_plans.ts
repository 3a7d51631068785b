// The allocation batch reads and writes its buyers' counters through their primary key, whatever
// the statistics say.
//
// PL/pgSQL keeps one plan per statement per connection. A plan made while user_event_tickets was
// small (a new database, a new deployment's first on-sale) scans the whole table for every batch,
// matching each row against the batch's array of buyers, and stays in use while the rush adds
// tens of thousands of counters, since nothing analyzes the table in those seconds. Measured on a
// 2-core machine, batches of 100 first-time buyers while the counters grew from 0 to 15,000:
// 87.7 ms a batch with the plans made on the empty table, 11.2 ms after an ANALYZE, 11.1 ms with
// sequential scans disabled in the function. The setting holds only while the function (and
// the triggers it fires) runs; every table it reads has an index for its lookups.
import { type Kysely, sql } from 'kysely';

const SIGNATURE = 'evently_reserve_batch(uuid, uuid[], uuid[], integer[])';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`ALTER FUNCTION ${SIGNATURE} SET enable_seqscan = off`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`ALTER FUNCTION ${SIGNATURE} RESET enable_seqscan`).execute(db);
}
