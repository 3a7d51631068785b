// CSV for the analytics endpoints: content negotiation on Accept, an RFC 4180 encoder, and the
// flattening of each report into one table with a header row.
import type { CurrencyRevenue } from './analytics.repository.js';
import type { DailyRow, EventStats, Summary } from './analytics.service.js';

export const CSV_TYPE = 'text/csv; charset=utf-8';

type Cell = string | number | null | undefined;

/**
 * RFC 4180: fields holding a comma, quote or line break are quoted, quotes doubled, lines end in
 * CRLF. Text that a spreadsheet would run as a formula (= + - @ first) gets a leading apostrophe,
 * the usual guard against CSV injection; numbers are written as they are.
 */
export function encodeCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const field = (value: Cell): string => {
    if (value === null || value === undefined) return '';
    let text = String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [header, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}

interface MediaRange {
  type: string;
  q: number;
  index: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').flatMap((part, index) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!type) return [];
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return Number.isFinite(q) ? [{ type, q, index }] : [];
  });
}

/** How well the Accept ranges serve `type`: [q, specificity, position in the header]. */
function rank(ranges: MediaRange[], type: string): [number, number, number] {
  const [major] = type.split('/');
  let best: [number, number, number] = [0, -1, Number.POSITIVE_INFINITY];
  for (const range of ranges) {
    const specificity =
      range.type === type ? 2 : range.type === `${major}/*` ? 1 : range.type === '*/*' ? 0 : -1;
    // The most specific matching range decides the q value (RFC 9110, 12.5.1).
    if (specificity > best[1]) best = [range.q, specificity, range.index];
  }
  return best;
}

/** True when the Accept header prefers text/csv to application/json (JSON wins ties and absence). */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const csv = rank(ranges, 'text/csv');
  const json = rank(ranges, 'application/json');
  if (csv[0] <= 0) return false;
  if (csv[0] !== json[0]) return csv[0] > json[0];
  if (csv[1] !== json[1]) return csv[1] > json[1];
  return csv[2] < json[2];
}

/** Rows as objects keyed by column; a column a row does not have stays empty. */
function table<C extends string>(columns: readonly C[], rows: readonly Partial<Record<C, Cell>>[]): string {
  return encodeCsv(
    columns,
    rows.map((row) => columns.map((column) => row[column])),
  );
}

/** Revenue per currency in one cell, e.g. `EUR 12500; GBP 3500` (empty when there is none). */
export const currencyCell = (revenues: readonly CurrencyRevenue[]): string =>
  revenues.map((r) => `${r.currency} ${r.revenueCents}`).join('; ');

const withCurrencyCell = <T extends { revenueByCurrency: readonly CurrencyRevenue[] }>(row: T) => ({
  ...row,
  revenueByCurrency: currencyCell(row.revenueByCurrency),
});

// revenueByCurrency came last (session ten), so the columns before it keep their positions.
export const DAILY_COLUMNS = [
  'date',
  'bookings',
  'ticketsSold',
  'revenueCents',
  'cancellations',
  'revenueByCurrency',
] as const;

export function dailyCsv(rows: readonly DailyRow[]): string {
  return table(DAILY_COLUMNS, rows.map(withCurrencyCell));
}

/**
 * The summary as one table with a `section` column: `totals` (one row), then `topEvents` and
 * `utilization` (one row per event, in the JSON order).
 */
export const SUMMARY_COLUMNS = [
  'section',
  'eventId',
  'name',
  'bookings',
  'ticketsSold',
  'revenueCents',
  'cancellations',
  'cancellationRate',
  'capacity',
  'sold',
  'held',
  'utilization',
  'revenueByCurrency',
] as const;

export function summaryCsv(summary: Summary): string {
  return table(SUMMARY_COLUMNS, [
    { section: 'totals', ...withCurrencyCell(summary.totals) },
    ...summary.topEvents.map((e) => ({ section: 'topEvents', ...withCurrencyCell(e) })),
    ...summary.utilization.map((e) => ({ section: 'utilization', ...e })),
  ]);
}

/**
 * Event stats as one table with a `section` column: `event` (one row, `id` = the event id),
 * `ticketType` (one row per ticket type) and `daily` (one row per day).
 */
export const STATS_COLUMNS = [
  'section',
  'id',
  'name',
  'date',
  'capacity',
  'sold',
  'held',
  'available',
  'utilization',
  'bookings',
  'ticketsSold',
  'revenueCents',
  'cancellations',
  'cancellationRate',
  'revenueByCurrency',
] as const;

export function statsCsv(stats: EventStats): string {
  const { eventId, ticketTypes, daily, ...figures } = stats;
  return table(STATS_COLUMNS, [
    { section: 'event', id: eventId, ...withCurrencyCell(figures) },
    ...ticketTypes.map((t) => ({ section: 'ticketType', ...t })),
    ...daily.map((d) => ({ section: 'daily', ...withCurrencyCell(d) })),
  ]);
}
