// One allocation batch in one database round trip. Under an on-sale the API process's event loop
// is busy, and every round trip of a batch waits behind HTTP work before the next statement is
// sent; while it waits, the ticket type's row lock is held and the next batch queues. Doing the
// batch inside PostgreSQL keeps the lock for the work alone.
//
// evently_reserve_batch(ticket_type, requests, now) takes the requests in arrival order
// ([{id, userId, quantity}]) and returns
//   {"status": "ok" | "not_found" | "cancelled" | "not_on_sale" | "started",
//    "ticketType": {...}, "createdAt", "expiresAt", "remaining",
//    "results": [{"ok": true} | {"code": "SOLD_OUT"} | {"code": "INSUFFICIENT_AVAILABILITY", "available": n}
//                | {"code": "TICKET_LIMIT_EXCEEDED", "limit": n, "alreadyHeld": n}]}
// First come, first served; each request all-or-nothing; a request that does not fit does not
// block a smaller one behind it; the per-user limit counts held + confirmed tickets.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(RESERVE_BATCH_0005).execute(db);
}

/** This migration's version of the function (0007 replaces it; its down() restores this one). */
export const RESERVE_BATCH_0005 = `
    CREATE OR REPLACE FUNCTION evently_reserve_batch(p_ticket_type uuid, p_requests jsonb)
    RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      tt record;
      req record;
      v_remaining integer;
      v_taken integer := 0;
      v_held integer;
      v_results jsonb[] := '{}';
      v_ids uuid[] := '{}';
      v_users uuid[] := '{}';
      v_quantities integer[] := '{}';
      v_now timestamptz := now();
      v_expires timestamptz;
      v_info jsonb;
    BEGIN
      -- The ticket type's row lock serialises the batches of every process; FOR NO KEY UPDATE
      -- leaves the foreign-key checks of inserted bookings unblocked.
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

      IF v_remaining > 0 THEN
        -- Buyers' counters: created when missing, then locked in user order (no deadlocks
        -- between batches of different ticket types of one event).
        INSERT INTO user_event_tickets (user_id, event_id, quantity)
        SELECT DISTINCT (r->>'userId')::uuid, tt.event_id, 0
          FROM jsonb_array_elements(p_requests) r
         ORDER BY 1
        ON CONFLICT (user_id, event_id) DO NOTHING;
        PERFORM 1 FROM user_event_tickets
          WHERE event_id = tt.event_id
            AND user_id IN (SELECT (r->>'userId')::uuid FROM jsonb_array_elements(p_requests) r)
          ORDER BY user_id
          FOR UPDATE;
      END IF;

      FOR req IN
        SELECT (r->>'id')::uuid AS id, (r->>'userId')::uuid AS user_id, (r->>'quantity')::integer AS quantity
          FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS a(r, n)
         ORDER BY n
      LOOP
        IF v_remaining = 0 THEN
          v_results := v_results || jsonb_build_object('code', 'SOLD_OUT');
          CONTINUE;
        END IF;
        SELECT quantity INTO v_held FROM user_event_tickets WHERE user_id = req.user_id AND event_id = tt.event_id;
        IF v_held + req.quantity > tt.max_tickets_per_user THEN
          v_results := v_results || jsonb_build_object(
            'code', 'TICKET_LIMIT_EXCEEDED', 'limit', tt.max_tickets_per_user, 'alreadyHeld', v_held);
        ELSIF req.quantity > v_remaining THEN
          v_results := v_results || jsonb_build_object('code', 'INSUFFICIENT_AVAILABILITY', 'available', v_remaining);
        ELSE
          UPDATE user_event_tickets SET quantity = quantity + req.quantity
           WHERE user_id = req.user_id AND event_id = tt.event_id;
          v_remaining := v_remaining - req.quantity;
          v_taken := v_taken + req.quantity;
          v_ids := v_ids || req.id;
          v_users := v_users || req.user_id;
          v_quantities := v_quantities || req.quantity;
          v_results := v_results || jsonb_build_object('ok', true);
        END IF;
      END LOOP;

      IF v_taken > 0 THEN
        -- Still the conditional decrement, and still under CHECK (available >= 0).
        UPDATE ticket_types SET available = available - v_taken WHERE id = tt.id AND available >= v_taken;
        IF NOT FOUND THEN RAISE EXCEPTION 'conditional decrement did not apply under the ticket type lock'; END IF;
        -- One statement for all holds: the analytics triggers run once per batch.
        INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                              expires_at, created_at)
        SELECT h.id, h.user_id, tt.event_id, tt.id, h.quantity, 'held', h.quantity * tt.price_cents, tt.currency,
               v_expires, v_now
          FROM unnest(v_ids, v_users, v_quantities) AS h(id, user_id, quantity);
      END IF;

      RETURN jsonb_build_object(
        'status', 'ok', 'ticketType', v_info, 'createdAt', v_now, 'expiresAt', v_expires,
        'remaining', v_remaining, 'results', to_jsonb(v_results));
    END
    $fn$`;

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS evently_reserve_batch(uuid, jsonb)`.execute(db);
}
