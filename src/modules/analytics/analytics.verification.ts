// Recomputes every rollup from the bookings table, written independently of the triggers, and
// lists where they disagree. Used by the tests and the bench; cheap enough to run by hand on a copy
// of production (one pass over bookings per rollup, in one snapshot).
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

export interface RollupMismatch {
  rollup: 'ticket_type_stats' | 'event_daily_stats' | 'event_monthly_stats' | 'global_daily_stats';
  key: string;
  expected: Record<string, number>;
  actual: Record<string, number>;
}

export interface RollupReport {
  consistent: boolean;
  /** Keys compared per rollup (union of expected and stored keys). */
  checked: Record<RollupMismatch['rollup'], number>;
  /** Keys whose figures differ, in all rollups. */
  mismatched: number;
  /** The first mismatches of each rollup (at most `limit` each). */
  mismatches: RollupMismatch[];
}

/** The daily figures as the definitions state them, straight from bookings (UTC days), per currency. */
const EXPECTED_DAYS = `
  SELECT event_id, day, currency, sum(bookings) AS bookings, sum(tickets_sold) AS tickets_sold,
         sum(revenue_cents) AS revenue_cents, sum(cancellations) AS cancellations
    FROM (
      SELECT event_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency, count(*) AS bookings,
             0 AS tickets_sold, 0 AS revenue_cents, 0 AS cancellations
        FROM bookings GROUP BY 1, 2, 3
      UNION ALL
      SELECT event_id, (coalesce(confirmed_at, created_at) AT TIME ZONE 'UTC')::date, currency, 0,
             coalesce(sum(quantity) FILTER (WHERE status = 'confirmed'), 0), sum(paid_cents - refunded_cents), 0
        FROM bookings GROUP BY 1, 2, 3
      UNION ALL
      SELECT event_id, (cancelled_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 0, count(*)
        FROM bookings WHERE status = 'cancelled' GROUP BY 1, 2, 3
    ) parts
   GROUP BY event_id, day, currency`;

const FIGURES = ['bookings', 'tickets_sold', 'revenue_cents', 'cancellations'];
const TT_FIGURES = ['bookings', 'held', 'sold', 'revenue_cents', 'cancellations'];

/** Stored rollup summed over shards, compared key by key with the recomputation (missing = zeros). */
function compare(rollup: string, keys: string[], figures: string[], expected: string, actual: string) {
  const on = keys.map((k) => `e.${k} = a.${k}`).join(' AND ');
  const keyText = keys.map((k) => `coalesce(e.${k}, a.${k})::text`).join(` || '/' || `);
  const json = (alias: string) =>
    `json_build_object(${figures.map((f) => `'${f}', coalesce(${alias}.${f}, 0)`).join(', ')})`;
  const differs = figures.map((f) => `coalesce(e.${f}, 0) <> coalesce(a.${f}, 0)`).join(' OR ');
  return `
    SELECT '${rollup}' AS rollup, ${keyText} AS key, ${json('e')} AS expected, ${json('a')} AS actual,
           (${differs}) AS differs
      FROM (${expected}) e FULL JOIN (${actual}) a ON ${on}`;
}

function sumsOf(table: string, keys: string[], figures: string[]): string {
  return `SELECT ${keys.join(', ')}, ${figures.map((f) => `sum(${f}) AS ${f}`).join(', ')} FROM ${table} GROUP BY ${keys.join(', ')}`;
}

type Rollup = RollupMismatch['rollup'];

export async function verifyRollups(db: Db, limit = 20): Promise<RollupReport> {
  const sums = (figures: string[]) => figures.map((f) => `sum(${f}) AS ${f}`).join(', ');
  const perTicketType = `
    SELECT ticket_type_id, count(*) AS bookings,
           coalesce(sum(quantity) FILTER (WHERE status = 'held'), 0) AS held,
           coalesce(sum(quantity) FILTER (WHERE status = 'confirmed'), 0) AS sold,
           sum(paid_cents - refunded_cents) AS revenue_cents,
           count(*) FILTER (WHERE status = 'cancelled') AS cancellations
      FROM bookings GROUP BY ticket_type_id`;
  const perMonth = `SELECT event_id, date_trunc('month', day::timestamp)::date AS month, currency, ${sums(FIGURES)}
                      FROM expected_days GROUP BY 1, 2, 3`;
  const perDay = `SELECT day, currency, ${sums(FIGURES)} FROM expected_days GROUP BY day, currency`;
  const comparisons = [
    compare(
      'ticket_type_stats',
      ['ticket_type_id'],
      TT_FIGURES,
      perTicketType,
      sumsOf('ticket_type_stats', ['ticket_type_id'], TT_FIGURES),
    ),
    compare(
      'event_daily_stats',
      ['event_id', 'day', 'currency'],
      FIGURES,
      'SELECT * FROM expected_days',
      sumsOf('event_daily_stats', ['event_id', 'day', 'currency'], FIGURES),
    ),
    compare(
      'event_monthly_stats',
      ['event_id', 'month', 'currency'],
      FIGURES,
      perMonth,
      sumsOf('event_monthly_stats', ['event_id', 'month', 'currency'], FIGURES),
    ),
    compare(
      'global_daily_stats',
      ['day', 'currency'],
      FIGURES,
      perDay,
      sumsOf('global_daily_stats', ['day', 'currency'], FIGURES),
    ),
  ];
  const query = `
    WITH expected_days AS MATERIALIZED (${EXPECTED_DAYS}),
         compared AS (${comparisons.join(' UNION ALL ')}),
         numbered AS (SELECT *, row_number() OVER (PARTITION BY rollup, differs ORDER BY key) AS n FROM compared)
    SELECT rollup, count(*)::int AS checked, count(*) FILTER (WHERE differs)::int AS mismatched,
           coalesce(json_agg(json_build_object('key', key, 'expected', expected, 'actual', actual))
                    FILTER (WHERE differs AND n <= ${Number(limit)}), '[]') AS mismatches
      FROM numbered GROUP BY rollup`;
  // One snapshot: bookings and rollups are read at the same instant, even under live traffic.
  const rows = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const result = await sql
        .raw<{
          rollup: Rollup;
          checked: number;
          mismatched: number;
          mismatches: Omit<RollupMismatch, 'rollup'>[];
        }>(query)
        .execute(trx);
      return result.rows;
    });
  const checked: Record<Rollup, number> = {
    ticket_type_stats: 0,
    event_daily_stats: 0,
    event_monthly_stats: 0,
    global_daily_stats: 0,
  };
  let mismatched = 0;
  const mismatches: RollupMismatch[] = [];
  for (const row of rows) {
    checked[row.rollup] = row.checked;
    mismatched += row.mismatched;
    mismatches.push(...row.mismatches.map((m) => ({ rollup: row.rollup, ...m })));
  }
  return { consistent: mismatched === 0, checked, mismatched, mismatches };
}
