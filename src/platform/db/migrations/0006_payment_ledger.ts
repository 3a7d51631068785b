// Payments as a ledger of provider movements: each charge and refund recorded once, a refund
// linked to the charge it returns. A booking can see more than one charge (two confirms racing
// with different cards: the loser's charge is refunded at once), so "one charge per booking"
// was the wrong constraint.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payments DROP CONSTRAINT payments_one_per_kind`.execute(db);
  await sql`ALTER TABLE payments ADD COLUMN refund_of text`.execute(db);
  await sql`UPDATE payments r SET refund_of = c.provider_ref
              FROM payments c
             WHERE r.kind = 'refund' AND c.kind = 'charge' AND c.booking_id = r.booking_id`.execute(db);
  await sql`ALTER TABLE payments ADD CONSTRAINT payments_provider_ref_key UNIQUE (provider, provider_ref)`.execute(
    db,
  );
  await sql`ALTER TABLE payments ADD CONSTRAINT payments_refund_links_charge
              CHECK ((kind = 'refund') = (refund_of IS NOT NULL))`.execute(db);
  await sql`CREATE UNIQUE INDEX payments_one_refund_per_charge ON payments (provider, refund_of)
              WHERE refund_of IS NOT NULL`.execute(db);
  await sql`CREATE INDEX payments_booking_idx ON payments (booking_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS payments_booking_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS payments_one_refund_per_charge`.execute(db);
  await sql`ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_refund_links_charge`.execute(db);
  await sql`ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_provider_ref_key`.execute(db);
  await sql`ALTER TABLE payments DROP COLUMN IF EXISTS refund_of`.execute(db);
  await sql`ALTER TABLE payments ADD CONSTRAINT payments_one_per_kind UNIQUE (booking_id, kind)`.execute(db);
}
