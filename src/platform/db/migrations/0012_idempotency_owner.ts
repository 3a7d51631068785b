// Each claim of an Idempotency-Key gets an owner token (decision #25).
//
// A lease that lapsed while its process was still alive (an event loop stalled past the lease)
// let a retry take the key over while the first run went on. Matching on the key alone, the
// first run's late writes then landed on the key the retry now held: its failure released (deleted)
// it, its allocation batch completed it with a second hold. With the owner written by the claim,
// every later write of the key names its owner, and one from a run that lost the key changes
// nothing (or, for the allocation batch, rolls the batch back).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys ADD COLUMN owner uuid`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys DROP COLUMN owner`.execute(db);
}
