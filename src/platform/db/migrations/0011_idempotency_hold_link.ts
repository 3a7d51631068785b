// A one-step booking (reserve and pay) sent with an Idempotency-Key links its hold to the key in
// the allocation transaction that creates the hold.
//
// The hold commits first and the payment confirms it in a second transaction, after the provider
// call. A process that died in between left the key in progress and the hold linked to nothing:
// once the key's lease ran out, the client's retry reserved a second hold and paid again, while
// the first hold kept its seats until it expired (found by the crash audit of 2026-11-21). With
// the link, the retry that takes the key over resumes the same hold: it pays for it with the
// same provider idempotency key, so a charge the dead process made is returned, not repeated.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys ADD COLUMN booking_id uuid REFERENCES bookings(id) ON DELETE SET NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys DROP COLUMN booking_id`.execute(db);
}
