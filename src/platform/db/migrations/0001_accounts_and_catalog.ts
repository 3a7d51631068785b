// Users, refresh-token families, events and their ticket types (price tiers).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      password_hash text NOT NULL,
      role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_email_key UNIQUE (email)
    )`.execute(db);

  await sql`
    CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      family_id uuid NOT NULL,
      token_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`.execute(db);

  await sql`
    CREATE TABLE events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '',
      category text,
      venue_name text NOT NULL,
      venue_city text NOT NULL,
      venue_address text,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz,
      status text NOT NULL CHECK (status IN ('draft', 'published', 'cancelled')),
      max_tickets_per_user integer NOT NULL CHECK (max_tickets_per_user BETWEEN 1 AND 1000),
      hold_ttl_seconds integer NOT NULL CHECK (hold_ttl_seconds BETWEEN 1 AND 3600),
      version integer NOT NULL DEFAULT 1,
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      cancelled_at timestamptz,
      search_text text GENERATED ALWAYS AS (
        lower(name || ' ' || description || ' ' || venue_name || ' ' || venue_city)
      ) STORED,
      CONSTRAINT events_ends_after_start CHECK (ends_at IS NULL OR ends_at >= starts_at)
    )`.execute(db);
  // The public list reads published events in (starts_at, id) order from a cursor: one index
  // range scan, whatever the table size. City and category filters get their own ordered indexes.
  await sql`CREATE INDEX events_published_start_idx ON events (starts_at, id) WHERE status = 'published'`.execute(
    db,
  );
  await sql`CREATE INDEX events_city_start_idx ON events (lower(venue_city), starts_at, id) WHERE status = 'published'`.execute(
    db,
  );
  await sql`CREATE INDEX events_category_start_idx ON events (lower(category), starts_at, id) WHERE status = 'published'`.execute(
    db,
  );
  await sql`CREATE INDEX events_search_trgm_idx ON events USING gin (search_text gin_trgm_ops)`.execute(db);

  await sql`
    CREATE TABLE ticket_types (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      price_cents integer NOT NULL CHECK (price_cents >= 0),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      capacity integer NOT NULL CHECK (capacity >= 0),
      available integer NOT NULL,
      position integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT ticket_types_available_nonnegative CHECK (available >= 0),
      CONSTRAINT ticket_types_available_within_capacity CHECK (available <= capacity)
    )`.execute(db);
  await sql`CREATE INDEX ticket_types_event_idx ON ticket_types (event_id, position)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS ticket_types, events, refresh_tokens, users CASCADE`.execute(db);
}
