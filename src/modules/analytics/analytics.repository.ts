// Reads of the analytics rollups (kept by the triggers of migration 0003). Every figure comes from a
// rollup summed over its shards; only names, capacities and availability come from the catalog.
import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import { addDays, type DayRange, splitIntoMonths } from './analytics.range.js';

type Executor = Db | Transaction<Database>;

/** Revenue in one currency (minor units); lists of them are in currency order, zeros left out. */
export interface CurrencyRevenue {
  currency: string;
  revenueCents: number;
}

export interface FiguresRow {
  bookings: number;
  ticketsSold: number;
  /** Minor units of every currency added up: meaningful when the period sold in one currency. */
  revenueCents: number;
  revenueByCurrency: CurrencyRevenue[];
  cancellations: number;
}

export interface DayFiguresRow extends FiguresRow {
  date: string;
}

export interface TopEventRow {
  eventId: string;
  name: string;
  ticketsSold: number;
  revenueCents: number;
  revenueByCurrency: CurrencyRevenue[];
  capacity: number;
  sold: number;
}

export interface EventStateRow {
  eventId: string;
  name: string;
  capacity: number;
  sold: number;
  held: number;
}

export interface TicketTypeStatsRow {
  id: string;
  name: string;
  capacity: number;
  available: number;
  held: number;
  sold: number;
  revenueCents: number;
  bookings: number;
  cancellations: number;
}

const FIGURES = sql`coalesce(sum(bookings), 0)::bigint AS bookings, coalesce(sum(tickets_sold), 0)::bigint AS tickets_sold,
  coalesce(sum(revenue_cents), 0)::bigint AS revenue_cents, coalesce(sum(cancellations), 0)::bigint AS cancellations`;

/** The figures of rollup rows summed per currency (and per `key`, when given). */
const perCurrency = (rows: RawBuilder<unknown>, key?: RawBuilder<unknown>) => sql`
  SELECT ${key ? sql`${key}, ` : sql``}currency, sum(bookings) AS bookings, sum(tickets_sold) AS tickets_sold,
         sum(revenue_cents) AS revenue_cents, sum(cancellations) AS cancellations
    FROM (${rows}) r
   GROUP BY ${key ? sql`${key}, ` : sql``}currency`;

/** Aggregate over per-currency rows: their non-zero revenues as [{currency, revenueCents}]. */
const REVENUE_BY_CURRENCY = sql`coalesce(
  json_agg(json_build_object('currency', currency::text, 'revenueCents', revenue_cents) ORDER BY currency)
    FILTER (WHERE revenue_cents <> 0), '[]') AS revenue_by_currency`;

const FIGURE_COLUMNS = sql`event_id, currency, bookings, tickets_sold, revenue_cents, cancellations`;

/**
 * Per-event rollup rows covering exactly the range: whole months from the monthly rollup, the loose
 * days at either end from the daily one. A year is then ~12 rows per active event, not ~365.
 */
function activityIn(range: DayRange, events?: RawBuilder<unknown>): RawBuilder<unknown> {
  const split = splitIntoMonths(range);
  const only = events ? sql`AND event_id IN (${events})` : sql``;
  const parts: RawBuilder<unknown>[] = [];
  if (split.months) {
    parts.push(sql`SELECT ${FIGURE_COLUMNS} FROM event_monthly_stats
                    WHERE month BETWEEN ${split.months.first}::date AND ${split.months.last}::date ${only}`);
  }
  for (const days of split.days) {
    parts.push(
      sql`SELECT ${FIGURE_COLUMNS} FROM event_daily_stats WHERE day BETWEEN ${days.from}::date AND ${days.to}::date ${only}`,
    );
  }
  return sql.join(parts, sql` UNION ALL `);
}

const startOf = (day: string) => new Date(`${day}T00:00:00Z`);

export class AnalyticsRepository {
  constructor(private readonly db: Db) {}

  /**
   * The reads of one report share one snapshot, so its totals and lists agree. JIT stays off: these
   * queries read tens of thousands of rollup rows at most, yet their row estimates (aggregates over
   * CTEs) can look large enough for PostgreSQL to spend far longer compiling than executing.
   */
  snapshot<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        await sql`SET LOCAL jit = off`.execute(trx);
        return work(trx);
      });
  }

  async eventExists(id: string, executor: Executor = this.db): Promise<boolean> {
    const row = await executor.selectFrom('events').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  async totals(range: DayRange, executor: Executor = this.db): Promise<FiguresRow> {
    const rows = sql`SELECT * FROM global_daily_stats WHERE day BETWEEN ${range.from}::date AND ${range.to}::date`;
    const result = await sql<FiguresRow>`
      SELECT ${FIGURES}, ${REVENUE_BY_CURRENCY} FROM (${perCurrency(rows)}) c`.execute(executor);
    return result.rows[0] as FiguresRow;
  }

  /** Days with any rollup row, for the whole platform or one event; the caller fills the gaps. */
  async daily(
    range: DayRange,
    eventId: string | undefined,
    executor: Executor = this.db,
  ): Promise<DayFiguresRow[]> {
    const [table, filter] =
      eventId === undefined
        ? [sql`global_daily_stats`, sql``]
        : [sql`event_daily_stats`, sql`AND event_id = ${eventId}`];
    const rows = sql`SELECT * FROM ${table} WHERE day BETWEEN ${range.from}::date AND ${range.to}::date ${filter}`;
    const result = await sql<DayFiguresRow>`
      SELECT to_char(day, 'YYYY-MM-DD') AS date, ${FIGURES}, ${REVENUE_BY_CURRENCY}
        FROM (${perCurrency(rows, sql`day`)}) c
       GROUP BY day
       ORDER BY day`.execute(executor);
    return result.rows;
  }

  /**
   * Both event lists of the summary in one pass over the period's rollup rows:
   * - top: events by tickets sold in the range (those that sold any), most first, then by name;
   * - utilization: current fill of the events with booking activity in the range or starting in
   *   it (drafts aside), fullest first, then by name.
   */
  async eventLists(
    range: DayRange,
    limits: { top: number; utilization: number },
    executor: Executor = this.db,
  ): Promise<{ top: TopEventRow[]; utilization: EventStateRow[] }> {
    const result = await sql<{ top: TopEventRow[]; utilization: EventStateRow[] }>`
      WITH activity AS MATERIALIZED (
        SELECT event_id, ${FIGURES} FROM (${activityIn(range)}) a GROUP BY event_id
      ), candidates AS (
        SELECT event_id FROM activity
         WHERE (bookings, tickets_sold, revenue_cents, cancellations) <> (0, 0, 0, 0)
        UNION
        SELECT id FROM events
         WHERE starts_at >= ${startOf(range.from)} AND starts_at < ${startOf(addDays(range.to, 1))}
           AND status <> 'draft'
      ), state AS MATERIALIZED (
        SELECT c.event_id, e.name, coalesce(cap.capacity, 0)::bigint AS capacity,
               coalesce(st.sold, 0)::bigint AS sold, coalesce(st.held, 0)::bigint AS held
          FROM candidates c
          JOIN events e ON e.id = c.event_id
          LEFT JOIN (SELECT tt.event_id, sum(tt.capacity) AS capacity
                       FROM ticket_types tt JOIN candidates USING (event_id) GROUP BY tt.event_id) cap
            ON cap.event_id = c.event_id
          LEFT JOIN (SELECT s.event_id, sum(s.sold) AS sold, sum(s.held) AS held
                       FROM ticket_type_stats s JOIN candidates USING (event_id) GROUP BY s.event_id) st
            ON st.event_id = c.event_id
      ), top AS (
        SELECT a.event_id, s.name, a.tickets_sold, a.revenue_cents, s.capacity, s.sold
          FROM activity a JOIN state s USING (event_id)
         WHERE a.tickets_sold > 0
         ORDER BY a.tickets_sold DESC, s.name, a.event_id
         LIMIT ${limits.top}
      ), top_revenue AS (
        -- Revenue per currency for the top events only: a second, keyed read of their rows is far
        -- cheaper than a currency breakdown of every active event.
        SELECT event_id, ${REVENUE_BY_CURRENCY}
          FROM (${perCurrency(activityIn(range, sql`SELECT event_id FROM top`), sql`event_id`)}) c
         GROUP BY event_id
      ), top_listed AS (
        SELECT t.*, coalesce(r.revenue_by_currency, '[]') AS revenue_by_currency
          FROM top t LEFT JOIN top_revenue r USING (event_id)
      ), fullest AS (
        SELECT event_id, name, capacity, sold, held
          FROM state
         ORDER BY CASE WHEN capacity > 0 THEN sold::float8 / capacity ELSE 0 END DESC, name, event_id
         LIMIT ${limits.utilization}
      )
      SELECT (SELECT coalesce(json_agg(t ORDER BY tickets_sold DESC, name, event_id), '[]') FROM top_listed t) AS top,
             (SELECT coalesce(json_agg(fullest ORDER BY CASE WHEN capacity > 0 THEN sold::float8 / capacity ELSE 0 END DESC,
                                                   name, event_id), '[]')
                FROM fullest) AS utilization`.execute(executor);
    return result.rows[0] ?? { top: [], utilization: [] };
  }

  /** An event's revenue over its whole life, per currency. */
  async eventRevenue(eventId: string, executor: Executor = this.db): Promise<CurrencyRevenue[]> {
    const rows = sql`SELECT * FROM event_monthly_stats WHERE event_id = ${eventId}`;
    const result = await sql<Pick<FiguresRow, 'revenueByCurrency'>>`
      SELECT ${REVENUE_BY_CURRENCY} FROM (${perCurrency(rows)}) c`.execute(executor);
    return result.rows[0]?.revenueByCurrency ?? [];
  }

  /** Ticket types of an event in catalog order, with their lifetime rollup figures. */
  async ticketTypeStats(eventId: string, executor: Executor = this.db): Promise<TicketTypeStatsRow[]> {
    const result = await sql<TicketTypeStatsRow>`
      SELECT tt.id, tt.name, tt.capacity, tt.available,
             coalesce(s.held, 0)::bigint AS held, coalesce(s.sold, 0)::bigint AS sold,
             coalesce(s.revenue_cents, 0)::bigint AS revenue_cents, coalesce(s.bookings, 0)::bigint AS bookings,
             coalesce(s.cancellations, 0)::bigint AS cancellations
        FROM ticket_types tt
        LEFT JOIN (
          SELECT ticket_type_id, sum(held) AS held, sum(sold) AS sold, sum(revenue_cents) AS revenue_cents,
                 sum(bookings) AS bookings, sum(cancellations) AS cancellations
            FROM ticket_type_stats WHERE event_id = ${eventId}
           GROUP BY ticket_type_id
        ) s ON s.ticket_type_id = tt.id
       WHERE tt.event_id = ${eventId}
       ORDER BY tt.position, tt.created_at, tt.id`.execute(executor);
    return result.rows;
  }
}
