// Display formatting for money (integer minor units), dates and countdowns.

const moneyFormatters = new Map<string, Intl.NumberFormat>();

function moneyFormatter(currency: string): Intl.NumberFormat {
  let formatter = moneyFormatters.get(currency);
  if (!formatter) {
    try {
      formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
    }
    moneyFormatters.set(currency, formatter);
  }
  return formatter;
}

/** Digits after the decimal point for a currency: 2 for EUR, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

export function formatMoney(amountMinor: number, currency: string): string {
  return moneyFormatter(currency).format(amountMinor / 10 ** minorDigits(currency));
}

type Revenues = readonly { currency: string; revenueCents: number }[];

/** Revenue per currency, one amount each, e.g. ["€1,250.00", "£300.00"]; ["0"] when there is none. */
export function revenueLines(revenues: Revenues): string[] {
  if (revenues.length === 0) return ['0'];
  return revenues.map((r) => formatMoney(r.revenueCents, r.currency));
}

/** Revenue per currency on one line, e.g. "€1,250.00 · £300.00". Never added up. */
export function formatRevenue(revenues: Revenues): string {
  return revenueLines(revenues).join(' · ');
}

/** "12.50" in EUR -> 1250; returns null for anything that is not a non-negative amount. */
export function parseMoney(input: string, currency: string): number | null {
  const normalised = input.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(normalised)) return null;
  const digits = minorDigits(currency);
  const [whole = '0', fraction = ''] = normalised.split('.');
  if (fraction.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

export function toMoneyInput(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  return (amountMinor / 10 ** digits).toFixed(digits);
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const dateOnly = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const monthShort = new Intl.DateTimeFormat(undefined, { month: 'short' });
const dayNumber = new Intl.DateTimeFormat(undefined, { day: 'numeric' });

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** "Sat, Dec 5, 2026, 7:30 – 10:30 PM": the shared parts of a range are said once. */
export function formatDateTimeRange(startIso: string, endIso: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (end <= start || typeof dateTime.formatRange !== 'function') {
    return `${dateTime.format(start)} – ${dateTime.format(end)}`;
  }
  return dateTime.formatRange(start, end);
}

export function formatDate(iso: string): string {
  return dateOnly.format(new Date(iso));
}

export function dateBadge(iso: string): { month: string; day: string } {
  const date = new Date(iso);
  return { month: monthShort.format(date), day: dayNumber.format(date) };
}

/** Seconds as mm:ss (or h:mm:ss past an hour). */
export function formatCountdown(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

export function formatPercent(ratio: number): string {
  return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 }).format(ratio);
}

/** A Date as the value of an <input type="datetime-local"> in the browser's time zone. */
export function toDateTimeLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The value of an <input type="datetime-local"> (local time) as an ISO-8601 UTC string. */
export function fromDateTimeLocal(value: string): string {
  return new Date(value).toISOString();
}

/** YYYY-MM-DD for a Date in UTC, as the analytics endpoints count days in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
