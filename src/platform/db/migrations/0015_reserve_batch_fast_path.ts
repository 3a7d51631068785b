// A batch whose every request fits is granted whole, without deciding its requests one by one.
//
// In a rush almost every batch fits: the seats left outnumber the batch, and few buyers reach
// their limit. Until now the function still walked the batch request by request in PL/pgSQL,
// appending a code, a value and the hold's fields to arrays at each step. Now it first locks the
// buyers' counters and, in the same statement, sums what each buyer asks for: when no buyer would
// pass the limit and the batch's total does not exceed the seats left, every request is granted
// and the holds are written straight from the arguments. Otherwise (the batch that sells out, a
// buyer at the limit) it decides request by request exactly as 0010 did. Either way the answer is
// the same for the same batch: a batch that fits is one in which the one-by-one walk grants
// every request.
//
// Measured with the function alone on PostgreSQL 15 (2-core machine, batches of 100 requests from
// 2,000 returning buyers, 150,000 holds, two alternating pairs): 35.1 and 35.5 µs a booking,
// against 40.4 and 42.0 with 0010's function (batch p50 3.37-3.39 ms against 3.88).
import { type Kysely, sql } from 'kysely';
import { RESERVE_BATCH_NEW_BUYERS } from './0010_new_buyer_counters.js';

const SIGNATURE = 'evently_reserve_batch(uuid, uuid[], uuid[], integer[])';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`DROP FUNCTION ${SIGNATURE}`).execute(db);
  await sql.raw(RESERVE_BATCH_FAST_PATH).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`DROP FUNCTION ${SIGNATURE}`).execute(db);
  await sql.raw(RESERVE_BATCH_NEW_BUYERS).execute(db);
}

const RESERVE_BATCH_FAST_PATH = `
CREATE FUNCTION evently_reserve_batch(p_ticket_type uuid, p_ids uuid[], p_users uuid[], p_quantities integer[])
RETURNS jsonb LANGUAGE plpgsql
-- 0009: the counters are read through their primary key whatever the statistics say.
SET enable_seqscan = off
AS $fn$
DECLARE
  tt record;
  req record;
  v_count integer := cardinality(p_ids);
  v_remaining integer;
  v_taken integer := 0;
  v_held integer[];
  v_current integer;
  v_fits boolean;
  v_asked integer;
  v_codes integer[] := '{}';
  v_values integer[] := '{}';
  v_ids uuid[] := '{}';
  v_users uuid[] := '{}';
  v_quantities integer[] := '{}';
  v_first boolean[] := '{}';
  v_new_buyers integer;
  v_new_counters integer;
  v_now timestamptz := now();
  v_expires timestamptz;
  v_info jsonb;
BEGIN
  IF cardinality(p_users) <> v_count OR cardinality(p_quantities) <> v_count THEN
    RAISE EXCEPTION 'evently_reserve_batch: ids, user ids and quantities differ in length';
  END IF;
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

  IF v_remaining = 0 THEN
    -- Nothing to sell: no buyer's counter is touched.
    v_codes := array_fill(1, ARRAY[v_count]);
    v_values := array_fill(0, ARRAY[v_count]);
  ELSE
    -- The buyers' counters that exist, locked in user order (no deadlocks between batches of
    -- different ticket types of one event); a buyer without one has bought nothing for this event
    -- yet. The same statement tells whether the whole batch fits: no buyer past the limit with
    -- everything they ask for, and no more asked than is left. v_first marks, per request, a
    -- buyer who had no counter when it was read.
    WITH locked AS MATERIALIZED (
      SELECT u.user_id, u.quantity
        FROM user_event_tickets u
       WHERE u.event_id = tt.event_id AND u.user_id = ANY (p_users)
       ORDER BY u.user_id
         FOR UPDATE),
    r AS (
      SELECT r.user_id, r.quantity, r.n
        FROM unnest(p_users, p_quantities) WITH ORDINALITY AS r(user_id, quantity, n)),
    asked AS (SELECT r.user_id, sum(r.quantity)::integer AS quantity FROM r GROUP BY r.user_id)
    SELECT (SELECT coalesce(bool_and(coalesce(l.quantity, 0) + a.quantity <= tt.max_tickets_per_user), true)
              FROM asked a LEFT JOIN locked l USING (user_id)),
           (SELECT coalesce(sum(a.quantity), 0)::integer FROM asked a),
           (SELECT array_agg(l.user_id IS NULL ORDER BY r.n) FROM r LEFT JOIN locked l USING (user_id))
      INTO v_fits, v_asked, v_first;

    IF v_fits AND v_asked <= v_remaining THEN
      -- Every request is granted, in one go.
      v_taken := v_asked;
      v_remaining := v_remaining - v_asked;
      v_ids := p_ids;
      v_users := p_users;
      v_quantities := p_quantities;
      v_codes := array_fill(0, ARRAY[v_count]);
      v_values := array_fill(0, ARRAY[v_count]);
    ELSE
      -- Decided request by request in arrival order, as 0010 did. The counters read above are
      -- this transaction's already; one created since is read and locked here. v_held keeps
      -- each buyer's running count by slot (one slot per distinct buyer).
      v_first := '{}';
      v_held := array_fill(NULL::integer, ARRAY[v_count]);
      FOR req IN
        WITH locked AS MATERIALIZED (
          SELECT u.user_id, u.quantity
            FROM user_event_tickets u
           WHERE u.event_id = tt.event_id AND u.user_id = ANY (p_users)
           ORDER BY u.user_id
             FOR UPDATE),
        r AS (
          SELECT r.id, r.user_id, r.quantity, r.n, (dense_rank() OVER (ORDER BY r.user_id))::integer AS slot
            FROM unnest(p_ids, p_users, p_quantities) WITH ORDINALITY AS r(id, user_id, quantity, n))
        SELECT r.id, r.user_id, r.quantity, r.slot, coalesce(l.quantity, 0) AS held, l.user_id IS NULL AS first
          FROM r LEFT JOIN locked l USING (user_id)
         ORDER BY r.n
      LOOP
        IF v_remaining = 0 THEN
          v_codes := v_codes || 1;
          v_values := v_values || 0;
          CONTINUE;
        END IF;
        v_current := coalesce(v_held[req.slot], req.held);
        IF v_current + req.quantity > tt.max_tickets_per_user THEN
          v_codes := v_codes || 3;
          v_values := v_values || v_current;
        ELSIF req.quantity > v_remaining THEN
          v_codes := v_codes || 2;
          v_values := v_values || v_remaining;
        ELSE
          v_held[req.slot] := v_current + req.quantity;
          v_remaining := v_remaining - req.quantity;
          v_taken := v_taken + req.quantity;
          v_ids := v_ids || req.id;
          v_users := v_users || req.user_id;
          v_quantities := v_quantities || req.quantity;
          v_first := v_first || req.first;
          v_codes := v_codes || 0;
          v_values := v_values || 0;
        END IF;
      END LOOP;
    END IF;
  END IF;

  IF v_taken > 0 THEN
    -- First-time buyers' counters, with what they were granted, in user order. One that another
    -- transaction created since the read above is skipped by ON CONFLICT and counted missing.
    WITH granted AS (
      SELECT g.user_id, sum(g.quantity)::integer AS quantity
        FROM unnest(v_users, v_quantities, v_first) AS g(user_id, quantity, first)
       WHERE g.first
       GROUP BY g.user_id),
    created AS (
      INSERT INTO user_event_tickets (user_id, event_id, quantity)
      SELECT user_id, tt.event_id, quantity FROM granted ORDER BY user_id
      ON CONFLICT (user_id, event_id) DO NOTHING
      RETURNING 1)
    SELECT (SELECT count(*) FROM granted), (SELECT count(*) FROM created) INTO v_new_buyers, v_new_counters;
    IF v_new_counters <> v_new_buyers THEN
      RAISE EXCEPTION USING
        ERRCODE = 'serialization_failure',
        MESSAGE = 'evently_reserve_batch: a buyer''s counter was created by another transaction during the batch';
    END IF;
    -- One statement for all holds (the analytics triggers run once per batch); every counter
    -- they reference is locked or was inserted by this function, so the foreign-key checks
    -- take no new lock.
    INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency,
                          expires_at, created_at)
    SELECT h.id, h.user_id, tt.event_id, tt.id, h.quantity, 'held', h.quantity * tt.price_cents, tt.currency,
           v_expires, v_now
      FROM unnest(v_ids, v_users, v_quantities) AS h(id, user_id, quantity);
    UPDATE user_event_tickets c SET quantity = c.quantity + d.quantity
      FROM (SELECT g.user_id, sum(g.quantity)::integer AS quantity
              FROM unnest(v_users, v_quantities, v_first) AS g(user_id, quantity, first)
             WHERE NOT g.first
             GROUP BY g.user_id) d
     WHERE c.user_id = d.user_id AND c.event_id = tt.event_id;
    -- Still the conditional decrement, and still under CHECK (available >= 0).
    UPDATE ticket_types SET available = available - v_taken WHERE id = tt.id AND available >= v_taken;
    IF NOT FOUND THEN RAISE EXCEPTION 'conditional decrement did not apply under the ticket type lock'; END IF;
  END IF;

  RETURN jsonb_build_object(
    'status', 'ok', 'ticketType', v_info, 'createdAt', v_now, 'expiresAt', v_expires,
    'remaining', v_remaining, 'limit', tt.max_tickets_per_user,
    'codes', to_jsonb(v_codes), 'values', to_jsonb(v_values));
END
$fn$`;
