// The allocation function plans its statements once per connection, not on every call.
//
// PL/pgSQL runs each statement through the plan cache. Under plan_cache_mode = auto a statement
// with parameters is planned afresh for its first five runs, and after that whenever the generic
// plan's estimated cost exceeds the average of those custom plans. The function's parameters are
// arrays: a custom plan sees their real length, the generic one assumes a default, so for small
// batches the custom plans look cheaper and every call plans again (the function's statements,
// the analytics triggers' and the foreign-key checks' they fire). Measured on the function alone
// (PostgreSQL 15, the backend's CPU time, two alternating pairs each): a batch of one returning
// buyer 853-1,213 µs with auto against 560-873 µs with generic plans; one first-time buyer
// 900-940 against 607-647 µs; 200 first-time buyers 9,167-9,500 against 8,167-8,833 µs; 75, 300
// and 1,000 returning buyers and 1,000 first-time buyers the same either way (within 2-4%).
//
// Every table the function and its triggers read is read through an index (0009 disables
// sequential scans inside the function; 0014 keys the rollup triggers), so a plan made without
// the arrays' lengths does not change how a row is found. The setting holds only while the
// function, and what it fires, runs. A migration that recreates the function must set it again
// (test/integration/reserve-batch.test.ts checks both settings).
import { type Kysely, sql } from 'kysely';

const SIGNATURE = 'evently_reserve_batch(uuid, uuid[], uuid[], integer[])';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`ALTER FUNCTION ${SIGNATURE} SET plan_cache_mode = force_generic_plan`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`ALTER FUNCTION ${SIGNATURE} RESET plan_cache_mode`).execute(db);
}
