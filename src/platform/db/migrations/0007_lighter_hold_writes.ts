// A lighter write path for a hold. Profiling the allocation batch (perf, DWARF stacks) showed
// per-row work around the insert costing more than the insert itself: three foreign-key checks,
// each locking a parent row FOR KEY SHARE (the buyer's users row: a WAL-logged lock per buyer per
// batch), five index inserts, and two statements per request for the buyer's counter.
//
// - bookings now reference their buyer's counter (user_id, event_id) -> user_event_tickets, which
//   itself references users and events, and (ticket_type_id, event_id) -> ticket_types(id,
//   event_id), which also proves the booking's event is its ticket type's. Two checks instead of
//   three, and both find rows the batch already holds locked, so they take no new row lock. The
//   batch inserts its holds before it updates those rows for the same reason.
// - bookings_ticket_type_live_idx goes: only the admin inventory endpoint read it, and
//   bookings_event_status_idx serves that query.
// - One lock order for every writer of a ticket type's seats: ticket type, then the buyers'
//   counters, then the analytics rollups. A reservation batch locks its buyers' counters before its
//   insert writes the rollups; statements that return seats (cancel, expiry, discarded holds) now
//   lock the counters of the rows they release in the rollup trigger, right after the ticket
//   types and before the rollups. Before, a reservation on one ticket type and a cancel on
//   another of the same event could each wait for the other (a new rollup shard against a buyer's
//   counter): a deadlock the randomized booking test found.
// - evently_reserve_batch reads the buyers' counters once, decides in memory, and writes them back
//   in one statement; the decisions and their order are unchanged.
import { type Kysely, sql } from 'kysely';
import {
  LOCK_RELEASED_DELETE,
  LOCK_RELEASED_UPDATE,
  NEW_ROWS,
  OLD_ROWS,
  triggerFunction,
} from './0003_analytics_rollups.js';
import { RESERVE_BATCH_0005 } from './0005_reserve_batch_function.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE ticket_types ADD CONSTRAINT ticket_types_id_event_key UNIQUE (id, event_id)`.execute(
    db,
  );
  // Every booking's buyer has a counter row for its event (the engine creates it before the hold);
  // rows written by other means get one, counting the buyer's live tickets.
  await sql`
    INSERT INTO user_event_tickets (user_id, event_id, quantity)
    SELECT b.user_id, b.event_id, sum(CASE WHEN b.status IN ('held', 'confirmed') THEN b.quantity ELSE 0 END)
      FROM bookings b GROUP BY 1, 2
    ON CONFLICT (user_id, event_id) DO NOTHING`.execute(db);
  await sql`
    ALTER TABLE bookings
      DROP CONSTRAINT bookings_user_id_fkey,
      DROP CONSTRAINT bookings_event_id_fkey,
      DROP CONSTRAINT bookings_ticket_type_id_fkey,
      ADD CONSTRAINT bookings_buyer_counter_fkey
        FOREIGN KEY (user_id, event_id) REFERENCES user_event_tickets (user_id, event_id),
      ADD CONSTRAINT bookings_ticket_type_event_fkey
        FOREIGN KEY (ticket_type_id, event_id) REFERENCES ticket_types (id, event_id)`.execute(db);
  await sql`DROP INDEX bookings_ticket_type_live_idx`.execute(db);
  await sql.raw(RESERVE_BATCH_0007).execute(db);
  await releaseTriggers(LOCK_RELEASES_0007.update, LOCK_RELEASES_0007.delete, db);
}

const RELEASED_BY_UPDATE = `SELECT o.user_id, o.event_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                       WHERE o.status IN ('held', 'confirmed') AND n.status NOT IN ('held', 'confirmed')`;
const RELEASED_BY_DELETE = `SELECT o.user_id, o.event_id FROM old_rows o WHERE o.status IN ('held', 'confirmed')`;

/** Locks the counters of the buyers whose seats a statement returns, in key order. */
const lockCounters = (released: string) => `
      PERFORM 1 FROM user_event_tickets
        WHERE (user_id, event_id) IN (${released})
        ORDER BY user_id, event_id FOR UPDATE;`;

/** The lock steps of the update and delete rollup triggers since this migration. */
export const LOCK_RELEASES_0007 = {
  update: LOCK_RELEASED_UPDATE + lockCounters(RELEASED_BY_UPDATE),
  delete: LOCK_RELEASED_DELETE + lockCounters(RELEASED_BY_DELETE),
};

/**
 * Recreates the update and delete rollup triggers' functions with the given lock steps (and, from
 * migration 0013, day rollups keyed by currency).
 */
export async function releaseTriggers(
  lockUpdate: string,
  lockDelete: string,
  db: Kysely<unknown>,
  byCurrency = false,
): Promise<void> {
  await sql
    .raw(
      triggerFunction(
        'analytics_bookings_updated',
        'new_rows',
        lockUpdate,
        `${NEW_ROWS} UNION ALL ${OLD_ROWS}`,
        byCurrency,
      ),
    )
    .execute(db);
  await sql
    .raw(triggerFunction('analytics_bookings_deleted', 'old_rows', lockDelete, OLD_ROWS, byCurrency))
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await releaseTriggers(LOCK_RELEASED_UPDATE, LOCK_RELEASED_DELETE, db);
  await sql.raw(RESERVE_BATCH_0005).execute(db);
  await sql`CREATE INDEX bookings_ticket_type_live_idx ON bookings (ticket_type_id) WHERE status IN ('held', 'confirmed')`.execute(
    db,
  );
  await sql`
    ALTER TABLE bookings
      DROP CONSTRAINT bookings_buyer_counter_fkey,
      DROP CONSTRAINT bookings_ticket_type_event_fkey,
      ADD CONSTRAINT bookings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
      ADD CONSTRAINT bookings_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
      ADD CONSTRAINT bookings_ticket_type_id_fkey FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id)`.execute(
    db,
  );
  await sql`ALTER TABLE ticket_types DROP CONSTRAINT ticket_types_id_event_key`.execute(db);
}

// Same contract as 0005 (arguments, answer, decisions). Holds are inserted before the counters and
// the ticket type are updated, so the foreign-key checks find the row versions locked above.
export const RESERVE_BATCH_0007 = `
CREATE OR REPLACE FUNCTION evently_reserve_batch(p_ticket_type uuid, p_requests jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  tt record;
  req record;
  v_remaining integer;
  v_taken integer := 0;
  v_held integer[];
  v_current integer;
  v_results jsonb[] := '{}';
  v_ids uuid[] := '{}';
  v_users uuid[] := '{}';
  v_quantities integer[] := '{}';
  v_now timestamptz := now();
  v_expires timestamptz;
  v_info jsonb;
BEGIN
  SELECT t.id, t.event_id, t.available, t.price_cents, t.currency, e.status, e.starts_at,
         e.max_tickets_per_user, e.hold_ttl_seconds, e.name, e.venue_name, e.venue_city, e.venue_address
    INTO tt
    FROM ticket_types t JOIN events e ON e.id = t.event_id
   WHERE t.id = p_ticket_type
     FOR NO KEY UPDATE OF t;
  IF NOT FOUND THEN RETURN jsonb_build_object('status', 'not_found'); END IF;
  IF tt.status = 'cancelled' THEN RETURN jsonb_build_object('status', 'cancelled'); END IF;
  IF tt.status <> 'published' THEN RETURN jsonb_build_object('status', 'not_on_sale'); END IF;
  IF tt.starts_at <= v_now THEN RETURN jsonb_build_object('status', 'started'); END IF;

  v_expires := v_now + make_interval(secs => tt.hold_ttl_seconds);
  v_info := jsonb_build_object(
    'id', tt.id, 'eventId', tt.event_id, 'priceCents', tt.price_cents, 'currency', trim(tt.currency),
    'eventName', tt.name, 'startsAt', tt.starts_at, 'venueName', tt.venue_name,
    'venueCity', tt.venue_city, 'venueAddress', tt.venue_address);
  v_remaining := tt.available;

  IF v_remaining = 0 THEN
    -- Nothing to sell: no buyer's counter is touched.
    SELECT array_agg(jsonb_build_object('code', 'SOLD_OUT')) INTO v_results FROM jsonb_array_elements(p_requests);
  ELSE
    -- Buyers' counters: created when missing, then locked in user order (no deadlocks between
    -- batches of different ticket types of one event) and read once; v_held keeps each buyer's
    -- running count by slot while the batch is decided in arrival order.
    INSERT INTO user_event_tickets (user_id, event_id, quantity)
    SELECT DISTINCT (r->>'userId')::uuid, tt.event_id, 0
      FROM jsonb_array_elements(p_requests) r
     ORDER BY 1
    ON CONFLICT (user_id, event_id) DO NOTHING;

    v_held := array_fill(NULL::integer, ARRAY[jsonb_array_length(p_requests)]);
    FOR req IN
      WITH r AS (
        SELECT (x->>'id')::uuid AS id, (x->>'userId')::uuid AS user_id, (x->>'quantity')::integer AS quantity, n
          FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS a(x, n)),
      locked AS MATERIALIZED (
        SELECT u.user_id, u.quantity
          FROM user_event_tickets u
         WHERE u.event_id = tt.event_id AND u.user_id IN (SELECT r.user_id FROM r)
         ORDER BY u.user_id
           FOR UPDATE),
      c AS (SELECT l.user_id, l.quantity, (row_number() OVER (ORDER BY l.user_id))::integer AS slot FROM locked l)
      SELECT r.id, r.user_id, r.quantity, c.slot, c.quantity AS held FROM r JOIN c USING (user_id) ORDER BY r.n
    LOOP
      IF v_remaining = 0 THEN
        v_results := v_results || jsonb_build_object('code', 'SOLD_OUT');
        CONTINUE;
      END IF;
      v_current := coalesce(v_held[req.slot], req.held);
      IF v_current + req.quantity > tt.max_tickets_per_user THEN
        v_results := v_results || jsonb_build_object(
          'code', 'TICKET_LIMIT_EXCEEDED', 'limit', tt.max_tickets_per_user, 'alreadyHeld', v_current);
      ELSIF req.quantity > v_remaining THEN
        v_results := v_results || jsonb_build_object('code', 'INSUFFICIENT_AVAILABILITY', 'available', v_remaining);
      ELSE
        v_held[req.slot] := v_current + req.quantity;
        v_remaining := v_remaining - req.quantity;
        v_taken := v_taken + req.quantity;
        v_ids := v_ids || req.id;
        v_users := v_users || req.user_id;
        v_quantities := v_quantities || req.quantity;
        v_results := v_results || jsonb_build_object('ok', true);
      END IF;
    END LOOP;
  END IF;

  IF v_taken > 0 THEN
    -- One statement for all holds: the analytics triggers run once per batch.
    INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                          expires_at, created_at)
    SELECT h.id, h.user_id, tt.event_id, tt.id, h.quantity, 'held', h.quantity * tt.price_cents, tt.currency,
           v_expires, v_now
      FROM unnest(v_ids, v_users, v_quantities) AS h(id, user_id, quantity);
    UPDATE user_event_tickets c SET quantity = c.quantity + d.quantity
      FROM (SELECT g.user_id, sum(g.quantity)::integer AS quantity
              FROM unnest(v_users, v_quantities) AS g(user_id, quantity) GROUP BY g.user_id) d
     WHERE c.user_id = d.user_id AND c.event_id = tt.event_id;
    -- Still the conditional decrement, and still under CHECK (available >= 0).
    UPDATE ticket_types SET available = available - v_taken WHERE id = tt.id AND available >= v_taken;
    IF NOT FOUND THEN RAISE EXCEPTION 'conditional decrement did not apply under the ticket type lock'; END IF;
  END IF;

  RETURN jsonb_build_object(
    'status', 'ok', 'ticketType', v_info, 'createdAt', v_now, 'expiresAt', v_expires,
    'remaining', v_remaining, 'results', to_jsonb(v_results));
END
$fn$`;
