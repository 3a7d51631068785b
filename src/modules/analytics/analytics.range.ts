// Reporting periods: inclusive ranges of UTC calendar days written YYYY-MM-DD, and how a range
// splits into whole months (read from the monthly rollup) and loose days (from the daily one).
import { DomainError } from '../../platform/http/errors.js';

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 366;

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** An inclusive range of UTC days. */
export interface DayRange {
  from: string;
  to: string;
}

const invalid = (field: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${field} ${message}`, { fields: [{ field, message }] });

/** Days since 1970-01-01 of a valid YYYY-MM-DD date, or undefined. */
export function parseDay(value: string): number | undefined {
  const match = DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  return time / DAY_MS;
}

export function formatDay(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return formatDay((parseDay(day) as number) + days);
}

export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * The period a request asks for. `to` defaults to today (UTC) and `from` to the 30 days ending at
 * `to`; `from` after `to` or more than 366 days is a 400 naming the field.
 */
export function resolveRange(query: { from?: string; to?: string }, today: string): DayRange {
  const to = query.to ?? today;
  const toDay = parseDay(to);
  if (toDay === undefined) throw invalid('to', 'must be a date written YYYY-MM-DD');
  const from = query.from ?? formatDay(toDay - (DEFAULT_DAYS - 1));
  const fromDay = parseDay(from);
  if (fromDay === undefined) throw invalid('from', 'must be a date written YYYY-MM-DD');
  if (fromDay > toDay) throw invalid('from', 'must be on or before to');
  if (toDay - fromDay + 1 > MAX_DAYS)
    throw invalid('to', `must be at most ${MAX_DAYS} days after from, inclusive`);
  return { from, to };
}

/** Every day of the range, in order. */
export function eachDay(range: DayRange): string[] {
  const first = parseDay(range.from) as number;
  const last = parseDay(range.to) as number;
  return Array.from({ length: last - first + 1 }, (_, i) => formatDay(first + i));
}

/** The range as whole calendar months plus the loose days before and after them. */
export interface MonthSplit {
  /** First days of the first and last whole month inside the range, or undefined when there is none. */
  months?: { first: string; last: string };
  /** Inclusive day ranges not covered by whole months (zero, one or two). */
  days: DayRange[];
}

export function splitIntoMonths(range: DayRange): MonthSplit {
  const from = new Date(`${range.from}T00:00:00Z`);
  const to = new Date(`${range.to}T00:00:00Z`);
  const firstWhole =
    from.getUTCDate() === 1 ? from : new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  // The first day of the month after the last whole month.
  const afterTo = new Date(to.getTime() + DAY_MS);
  const endWhole =
    afterTo.getUTCDate() === 1 ? afterTo : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1));
  if (firstWhole >= endWhole) return { days: [range] };
  const lastWholeStart = new Date(Date.UTC(endWhole.getUTCFullYear(), endWhole.getUTCMonth() - 1, 1));
  const iso = (date: Date) => date.toISOString().slice(0, 10);
  const days: DayRange[] = [];
  if (from < firstWhole) days.push({ from: range.from, to: iso(new Date(firstWhole.getTime() - DAY_MS)) });
  if (endWhole < afterTo) days.push({ from: iso(endWhole), to: range.to });
  return { months: { first: iso(firstWhole), last: iso(lastWholeStart) }, days };
}
