// Bookings (held -> confirmed -> cancelled, held -> expired), tickets, payments, idempotency keys
// and the per-user counter that keeps maxTicketsPerUser exact under concurrency.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE bookings (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      event_id uuid NOT NULL REFERENCES events(id),
      ticket_type_id uuid NOT NULL REFERENCES ticket_types(id),
      quantity integer NOT NULL CHECK (quantity > 0),
      status text NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired')),
      amount_cents integer NOT NULL CHECK (amount_cents >= 0),
      currency char(3) NOT NULL,
      paid_cents integer NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
      refunded_cents integer NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= paid_cents),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      confirmed_at timestamptz,
      cancelled_at timestamptz,
      expired_at timestamptz,
      cancel_reason text,
      CONSTRAINT bookings_confirmed_has_time CHECK (status <> 'confirmed' OR confirmed_at IS NOT NULL),
      CONSTRAINT bookings_cancelled_has_time CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL),
      CONSTRAINT bookings_expired_has_time CHECK (status <> 'expired' OR expired_at IS NOT NULL)
    )`.execute(db);
  await sql`CREATE INDEX bookings_user_idx ON bookings (user_id, created_at DESC)`.execute(db);
  // The expiry sweep reads only live holds, oldest deadline first.
  await sql`CREATE INDEX bookings_hold_expiry_idx ON bookings (expires_at) WHERE status = 'held'`.execute(db);
  await sql`CREATE INDEX bookings_event_status_idx ON bookings (event_id, status)`.execute(db);
  await sql`CREATE INDEX bookings_ticket_type_live_idx ON bookings (ticket_type_id) WHERE status IN ('held', 'confirmed')`.execute(
    db,
  );

  await sql`
    CREATE TABLE tickets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      booking_id uuid NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
      event_id uuid NOT NULL REFERENCES events(id),
      ticket_type_id uuid NOT NULL REFERENCES ticket_types(id),
      code text NOT NULL UNIQUE,
      seat_id uuid,
      status text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'void')),
      checked_in_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX tickets_booking_idx ON tickets (booking_id)`.execute(db);

  await sql`
    CREATE TABLE payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      booking_id uuid NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('charge', 'refund')),
      provider text NOT NULL,
      provider_ref text NOT NULL,
      amount_cents integer NOT NULL CHECK (amount_cents >= 0),
      currency char(3) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT payments_one_per_kind UNIQUE (booking_id, kind)
    )`.execute(db);

  await sql`
    CREATE TABLE idempotency_keys (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
      response_status integer,
      response_body jsonb,
      locked_until timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, key)
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at)`.execute(db);

  // Held + confirmed tickets per user and event. Reservations lock this row, so the per-user
  // limit is exact even when one user sends many requests at once, from any process.
  await sql`
    CREATE TABLE user_event_tickets (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      quantity integer NOT NULL CHECK (quantity >= 0),
      PRIMARY KEY (user_id, event_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS user_event_tickets, idempotency_keys, payments, tickets, bookings CASCADE`.execute(
    db,
  );
}
