// Sales analytics for organisers: totals, daily sales, top events and capacity used.
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { admin } from '../../api/endpoints.ts';
import type { AnalyticsSummary, DailyRow } from '../../api/types.ts';
import { PageTitle } from '../../components/PageTitle.tsx';
import { EmptyState, ErrorMessage, Loading, RetryableError } from '../../components/Status.tsx';
import { TextField } from '../../components/TextField.tsx';
import {
  formatMoney,
  formatPercent,
  formatRevenue,
  isoDay,
  minorDigits,
  revenueLines,
} from '../../lib/format.ts';
import { useApi } from '../../lib/useApi.ts';

const MAX_RANGE_DAYS = 366;

const COLORS = { tickets: '#4f46e5', sold: '#4f46e5', held: '#f59e0b', free: '#cbd5e1' };
/** One revenue line per currency: amounts in different currencies are never added up. */
const REVENUE_COLORS = ['#0d9488', '#db2777', '#ca8a04', '#7c3aed'];

function daysAgo(n: number): string {
  return isoDay(new Date(Date.now() - n * 86_400_000));
}

const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
const dayLabel = (date: string) => shortDay.format(new Date(`${date.slice(0, 10)}T00:00:00Z`));
const truncate = (text: string, n = 16) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const legendText = (value: string) => <span className="legend-text">{value}</span>;

/** Event names on a category axis, cut to one line instead of recharts' word wrapping. */
function NameTick({
  x,
  y,
  payload,
}: {
  x?: number | string;
  y?: number | string;
  payload?: { value?: unknown };
}) {
  return (
    <text x={Number(x)} y={Number(y)} dy={4} textAnchor="end" fontSize={12} fill="#334155">
      {truncate(String(payload?.value ?? ''))}
    </text>
  );
}

/** A figure, or one line per amount (revenue in several currencies). */
function StatCard({ label, value }: { label: string; value: string | string[] }) {
  return (
    <div className="stat-card">
      <dt>{label}</dt>
      {typeof value === 'string' ? (
        <dd>{value}</dd>
      ) : (
        value.map((line) => (
          <dd key={line} className="stat-line">
            {line}
          </dd>
        ))
      )}
    </div>
  );
}

function DataTable({
  caption,
  head,
  rows,
}: {
  caption: string;
  head: string[];
  rows: (string | number)[][];
}) {
  return (
    <details className="data-table">
      <summary>Show the data as a table</summary>
      <div className="table-wrap">
        <table className="admin-table compact">
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              {head.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={String(row[0])}>
                {row.map((cell, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: columns are positional
                  <td key={i}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function DailyChart({ rows }: { rows: DailyRow[] }) {
  const currencies = [...new Set(rows.flatMap((r) => r.revenueByCurrency.map((c) => c.currency)))].sort();
  const revenueName = (currency: string) => (currencies.length > 1 ? `Revenue (${currency})` : 'Revenue');
  const data = rows.map((r) => ({
    ticketsSold: r.ticketsSold,
    label: dayLabel(r.date),
    ...Object.fromEntries(
      currencies.map((currency) => [
        `revenue_${currency}`,
        (r.revenueByCurrency.find((c) => c.currency === currency)?.revenueCents ?? 0) /
          10 ** minorDigits(currency),
      ]),
    ),
  }));
  const currencyOfLine = new Map(currencies.map((currency) => [revenueName(currency), currency]));
  return (
    <figure className="chart-figure">
      <div className="chart" role="img" aria-label={`Daily tickets sold and revenue, ${rows.length} days`}>
        <ResponsiveContainer width="100%" height={280}>
          <LineChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
            <CartesianGrid stroke="#e2e8f0" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#475569' }} minTickGap={16} />
            <YAxis
              yAxisId="tickets"
              allowDecimals={false}
              tick={{ fontSize: 12, fill: '#475569' }}
              width={40}
            />
            <YAxis
              yAxisId="revenue"
              orientation="right"
              tick={{ fontSize: 12, fill: '#475569' }}
              width={56}
            />
            <Tooltip
              formatter={(value, name) => {
                const currency = currencyOfLine.get(String(name));
                return currency
                  ? formatMoney(Number(value) * 10 ** minorDigits(currency), currency)
                  : String(value);
              }}
            />
            <Legend formatter={legendText} itemSorter={null} />
            <Line
              yAxisId="tickets"
              type="monotone"
              dataKey="ticketsSold"
              name="Tickets sold"
              stroke={COLORS.tickets}
              strokeWidth={2.5}
              dot={false}
            />
            {currencies.map((currency, i) => (
              <Line
                key={currency}
                yAxisId="revenue"
                type="monotone"
                dataKey={`revenue_${currency}`}
                name={revenueName(currency)}
                stroke={REVENUE_COLORS[i % REVENUE_COLORS.length]}
                strokeWidth={2.5}
                dot={false}
                strokeDasharray="6 3"
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <DataTable
        caption="Daily sales"
        head={['Day', 'Bookings', 'Tickets sold', 'Revenue', 'Cancellations']}
        rows={rows.map((r) => [
          r.date.slice(0, 10),
          r.bookings,
          r.ticketsSold,
          formatRevenue(r.revenueByCurrency),
          r.cancellations,
        ])}
      />
    </figure>
  );
}

function TopEventsChart({ summary }: { summary: AnalyticsSummary }) {
  const data = summary.topEvents;
  return (
    <figure className="chart-figure">
      <div className="chart" role="img" aria-label="Top events by tickets sold">
        <ResponsiveContainer width="100%" height={Math.max(160, data.length * 44 + 40)}>
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 4 }}>
            <CartesianGrid stroke="#e2e8f0" horizontal={false} />
            <XAxis type="number" allowDecimals={false} tick={{ fontSize: 12, fill: '#475569' }} />
            <YAxis type="category" dataKey="name" width={120} tick={NameTick} interval={0} />
            <Tooltip formatter={(value) => String(value)} />
            <Bar dataKey="ticketsSold" name="Tickets sold" fill={COLORS.tickets} radius={[0, 6, 6, 0]} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <DataTable
        caption="Top events"
        head={['Event', 'Tickets sold', 'Revenue', 'Capacity used']}
        rows={summary.topEvents.map((e) => [
          e.name,
          e.ticketsSold,
          formatRevenue(e.revenueByCurrency),
          formatPercent(e.utilization),
        ])}
      />
    </figure>
  );
}

function UtilizationChart({ summary }: { summary: AnalyticsSummary }) {
  // Percentages, so a 30-seat club and a 50,000-seat stadium compare on one scale.
  const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);
  const data = summary.utilization.map((u) => ({
    name: u.name,
    sold: pct(u.sold, u.capacity),
    held: pct(u.held, u.capacity),
    free: pct(Math.max(0, u.capacity - u.sold - u.held), u.capacity),
  }));
  return (
    <figure className="chart-figure">
      <div
        className="chart"
        role="img"
        aria-label="Capacity used per event: sold, held and still free, in percent"
      >
        <ResponsiveContainer width="100%" height={Math.max(160, data.length * 44 + 60)}>
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 4 }}>
            <CartesianGrid stroke="#e2e8f0" horizontal={false} />
            <XAxis
              type="number"
              domain={[0, 100]}
              ticks={[0, 25, 50, 75, 100]}
              unit="%"
              tick={{ fontSize: 12, fill: '#475569' }}
            />
            <YAxis type="category" dataKey="name" width={120} tick={NameTick} interval={0} />
            <Tooltip formatter={(value) => `${value}%`} />
            <Legend formatter={legendText} itemSorter={null} />
            <Bar dataKey="sold" name="Sold" stackId="c" fill={COLORS.sold} />
            <Bar dataKey="held" name="Held" stackId="c" fill={COLORS.held} />
            <Bar dataKey="free" name="Free" stackId="c" fill={COLORS.free} radius={[0, 6, 6, 0]} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <DataTable
        caption="Capacity used"
        head={['Event', 'Sold', 'Held', 'Capacity', 'Used']}
        rows={summary.utilization.map((u) => [
          u.name,
          u.sold,
          u.held,
          u.capacity,
          formatPercent(u.utilization),
        ])}
      />
    </figure>
  );
}

export function AnalyticsPage() {
  const [params, setParams] = useSearchParams();
  const from = params.get('from') ?? daysAgo(29);
  const to = params.get('to') ?? daysAgo(0);
  const [draft, setDraft] = useState({ from, to });

  const summary = useApi((signal) => admin.summary(from, to, signal), [from, to]);
  const [rangeError, setRangeError] = useState('');
  const daily = useApi((signal) => admin.daily(from, to, signal), [from, to]);

  function apply(next: { from: string; to: string }) {
    setDraft(next);
    setParams(next);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!draft.from || !draft.to) return;
    const range = draft.from <= draft.to ? draft : { from: draft.to, to: draft.from };
    const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
    if (days > MAX_RANGE_DAYS) {
      setRangeError(`Choose a range of at most ${MAX_RANGE_DAYS} days.`);
      return;
    }
    setRangeError('');
    apply(range);
  }

  const totals = summary.data?.totals;
  const hasSales = Boolean(
    summary.data && (summary.data.totals.bookings > 0 || summary.data.utilization.length > 0),
  );

  return (
    <section className="page">
      <div className="page-header">
        <div>
          <PageTitle title="Analytics" />
          <p className="muted">Sales and capacity across your events.</p>
        </div>
        <div className="page-header-actions">
          <Link className="button button-secondary" to="/admin">
            Manage events
          </Link>
        </div>
      </div>

      <form className="card range-form" onSubmit={onSubmit} aria-label="Date range">
        <TextField
          id="a-from"
          label="From"
          type="date"
          value={draft.from}
          max={draft.to}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          required
        />
        <TextField
          id="a-to"
          label="To"
          type="date"
          value={draft.to}
          min={draft.from}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          required
        />
        <button type="submit" className="button">
          Update
        </button>
        <fieldset className="presets">
          <legend className="sr-only">Quick ranges</legend>
          {[7, 30, 90].map((n) => (
            <button
              key={n}
              type="button"
              className="button button-ghost button-small"
              onClick={() => apply({ from: daysAgo(n - 1), to: daysAgo(0) })}
            >
              Last {n} days
            </button>
          ))}
        </fieldset>
      </form>
      {rangeError && (
        <div className="notice notice-error" role="alert">
          <p>{rangeError}</p>
        </div>
      )}

      {summary.loading && !summary.data ? (
        <Loading label="Loading analytics…" />
      ) : summary.error ? (
        <RetryableError error={summary.error} onRetry={summary.reload} />
      ) : totals ? (
        <dl className="stat-grid" aria-label="Totals for the selected range">
          <StatCard label="Tickets sold" value={totals.ticketsSold.toLocaleString()} />
          <StatCard label="Revenue" value={revenueLines(totals.revenueByCurrency)} />
          <StatCard label="Bookings" value={totals.bookings.toLocaleString()} />
          <StatCard label="Cancellation rate" value={formatPercent(totals.cancellationRate)} />
        </dl>
      ) : null}

      <section className="card chart-card" aria-labelledby="daily-heading">
        <h2 id="daily-heading">Daily sales</h2>
        {daily.loading && !daily.data ? (
          <Loading label="Loading daily sales…" />
        ) : daily.error ? (
          <ErrorMessage error={daily.error} />
        ) : daily.data && daily.data.data.length > 0 ? (
          <DailyChart rows={daily.data.data} />
        ) : (
          <p className="muted">No sales in this range.</p>
        )}
      </section>

      {summary.data && (
        <div className="chart-columns">
          <section className="card chart-card" aria-labelledby="top-heading">
            <h2 id="top-heading">Top events</h2>
            {summary.data.topEvents.length > 0 ? (
              <TopEventsChart summary={summary.data} />
            ) : (
              <p className="muted">No tickets sold in this range yet.</p>
            )}
          </section>
          <section className="card chart-card" aria-labelledby="capacity-heading">
            <h2 id="capacity-heading">Capacity used</h2>
            {summary.data.utilization.length > 0 ? (
              <UtilizationChart summary={summary.data} />
            ) : (
              <p className="muted">No events in this range.</p>
            )}
          </section>
        </div>
      )}
      {summary.data && !hasSales && (
        <EmptyState title="No activity yet">
          <p className="muted">Once buyers book tickets, their sales show up here.</p>
        </EmptyState>
      )}
    </section>
  );
}
