// Admin analytics: platform summary, daily series and per-event stats, all answered from rollups.
// The definitions of every figure are in docs/analytics.md and in the route descriptions.
import { isUuid, notFound } from '../../platform/http/errors.js';
import { type DayRange, eachDay, resolveRange, utcToday } from './analytics.range.js';
import type { AnalyticsRepository, CurrencyRevenue, DayFiguresRow } from './analytics.repository.js';

export const TOP_EVENTS_LIMIT = 10;
export const UTILIZATION_LIMIT = 100;

export interface Figures {
  bookings: number;
  ticketsSold: number;
  revenueCents: number;
  revenueByCurrency: CurrencyRevenue[];
  cancellations: number;
}

export interface DailyRow extends Figures {
  date: string;
}

export interface Summary {
  totals: Figures & { cancellationRate: number };
  topEvents: {
    eventId: string;
    name: string;
    ticketsSold: number;
    revenueCents: number;
    revenueByCurrency: CurrencyRevenue[];
    utilization: number;
  }[];
  utilization: {
    eventId: string;
    name: string;
    capacity: number;
    sold: number;
    held: number;
    utilization: number;
  }[];
}

export interface EventStats {
  eventId: string;
  capacity: number;
  sold: number;
  held: number;
  available: number;
  utilization: number;
  revenueCents: number;
  revenueByCurrency: CurrencyRevenue[];
  cancellations: number;
  cancellationRate: number;
  ticketTypes: {
    id: string;
    name: string;
    capacity: number;
    sold: number;
    held: number;
    available: number;
  }[];
  daily: DailyRow[];
}

export interface RangeQuery {
  from?: string;
  to?: string;
}

/** part / whole, 0 when there is no whole (no capacity, no bookings). */
export const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

const ZERO: Figures = {
  bookings: 0,
  ticketsSold: 0,
  revenueCents: 0,
  revenueByCurrency: [],
  cancellations: 0,
};

/** One row per day of the range, zeros where the rollup has none. */
function fillDays(range: DayRange, rows: DayFiguresRow[]): DailyRow[] {
  const byDate = new Map(rows.map((r) => [r.date, r]));
  return eachDay(range).map((date) => {
    const row = byDate.get(date) ?? ZERO;
    return {
      date,
      bookings: row.bookings,
      ticketsSold: row.ticketsSold,
      revenueCents: row.revenueCents,
      revenueByCurrency: row.revenueByCurrency,
      cancellations: row.cancellations,
    };
  });
}

export class AnalyticsService {
  constructor(
    private readonly repo: AnalyticsRepository,
    private readonly today: () => string = () => utcToday(),
  ) {}

  /** The period asked for; 400 VALIDATION_FAILED when it is malformed, reversed or too long. */
  range(query: RangeQuery): DayRange {
    return resolveRange(query, this.today());
  }

  summary(range: DayRange): Promise<Summary> {
    return this.repo.snapshot(async (trx) => {
      const totals = await this.repo.totals(range, trx);
      const lists = await this.repo.eventLists(
        range,
        { top: TOP_EVENTS_LIMIT, utilization: UTILIZATION_LIMIT },
        trx,
      );
      return {
        totals: { ...totals, cancellationRate: ratio(totals.cancellations, totals.bookings) },
        topEvents: lists.top.map((e) => ({
          eventId: e.eventId,
          name: e.name,
          ticketsSold: e.ticketsSold,
          revenueCents: e.revenueCents,
          revenueByCurrency: e.revenueByCurrency,
          utilization: ratio(e.sold, e.capacity),
        })),
        utilization: lists.utilization.map((e) => ({
          eventId: e.eventId,
          name: e.name,
          capacity: e.capacity,
          sold: e.sold,
          held: e.held,
          utilization: ratio(e.sold, e.capacity),
        })),
      };
    });
  }

  /** The daily series of the platform, or of one event (404 EVENT_NOT_FOUND when unknown). */
  async daily(range: DayRange, eventId?: string): Promise<DailyRow[]> {
    if (eventId !== undefined) await this.requireEvent(eventId);
    return fillDays(range, await this.repo.daily(range, eventId));
  }

  /**
   * One event: current capacity, sold, held and available (per ticket type and in total); revenue,
   * cancellations and their rate over the event's whole life; and its daily series over `range`.
   */
  async eventStats(eventId: string, range: DayRange): Promise<EventStats> {
    await this.requireEvent(eventId);
    const [types, revenueByCurrency, daily] = await this.repo.snapshot(
      async (trx) =>
        [
          await this.repo.ticketTypeStats(eventId, trx),
          await this.repo.eventRevenue(eventId, trx),
          await this.repo.daily(range, eventId, trx),
        ] as const,
    );
    const sum = (pick: (t: (typeof types)[number]) => number) =>
      types.reduce((total, t) => total + pick(t), 0);
    const capacity = sum((t) => t.capacity);
    const sold = sum((t) => t.sold);
    const cancellations = sum((t) => t.cancellations);
    return {
      eventId,
      capacity,
      sold,
      held: sum((t) => t.held),
      available: sum((t) => t.available),
      utilization: ratio(sold, capacity),
      revenueCents: sum((t) => t.revenueCents),
      revenueByCurrency,
      cancellations,
      cancellationRate: ratio(
        cancellations,
        sum((t) => t.bookings),
      ),
      ticketTypes: types.map((t) => ({
        id: t.id,
        name: t.name,
        capacity: t.capacity,
        sold: t.sold,
        held: t.held,
        available: t.available,
      })),
      daily: fillDays(range, daily),
    };
  }

  private async requireEvent(eventId: string): Promise<void> {
    if (!isUuid(eventId) || !(await this.repo.eventExists(eventId)))
      throw notFound('EVENT_NOT_FOUND', 'Event');
  }
}
