// The buyer's front page: search and filter upcoming events, with cursor pagination.
import { type FormEvent, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { type EventFilters, events } from '../api/endpoints.ts';
import type { EventItem } from '../api/types.ts';
import { EventCard } from '../components/EventCard.tsx';
import { LoadMore } from '../components/LoadMore.tsx';
import { PageTitle } from '../components/PageTitle.tsx';
import { EmptyState, ErrorMessage, Loading, RetryableError } from '../components/Status.tsx';
import { TextField } from '../components/TextField.tsx';
import { usePagedList } from '../lib/usePagedList.ts';

const FILTER_KEYS = ['q', 'city', 'category', 'from', 'to'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type FormValues = Record<FilterKey, string>;

const CATEGORIES = ['Music', 'Theatre', 'Comedy', 'Sports', 'Conference', 'Festival', 'Family', 'Other'];

/** Date inputs give local calendar days; the API wants instants. "to" includes the whole day. */
function toApiFilters(values: FormValues): EventFilters {
  const filters: EventFilters = {};
  if (values.q.trim()) filters.q = values.q.trim();
  if (values.city.trim()) filters.city = values.city.trim();
  if (values.category.trim()) filters.category = values.category.trim();
  if (values.from) filters.from = new Date(`${values.from}T00:00:00`).toISOString();
  if (values.to) filters.to = new Date(`${values.to}T23:59:59.999`).toISOString();
  return filters;
}

function readValues(params: URLSearchParams): FormValues {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as FormValues;
}

export function EventsPage() {
  const [params, setParams] = useSearchParams();
  const applied = readValues(params);
  const appliedKey = FILTER_KEYS.map((k) => applied[k]).join('\u0000');
  const [form, setForm] = useState<FormValues>(applied);
  const { items, nextCursor, loading, loadingMore, error, loadMore, reload } = usePagedList<EventItem>(
    (cursor, signal) => events.list({ ...toApiFilters(applied), cursor }, signal),
    [appliedKey],
  );

  // The form shows the applied filters again after navigation (back, a link, a reset).
  // biome-ignore lint/correctness/useExhaustiveDependencies: appliedKey captures the applied filters
  useEffect(() => setForm(readValues(params)), [appliedKey]);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = form[key].trim();
      if (value) next.set(key, value);
    }
    setParams(next);
  }

  function onReset() {
    setForm({ q: '', city: '', category: '', from: '', to: '' });
    setParams(new URLSearchParams());
  }

  const update = (key: FilterKey) => (event: { target: { value: string } }) =>
    setForm((current) => ({ ...current, [key]: event.target.value }));
  const hasFilters = FILTER_KEYS.some((key) => applied[key]);

  return (
    <>
      <section className="hero">
        <div className="hero-inner">
          <PageTitle title="Find your next event">Find your next event</PageTitle>
          <p className="hero-lead">
            Concerts, talks, games and more. Reserve in seconds, pay when you are ready.
          </p>
          <search>
            <form className="search-form" onSubmit={onSubmit} aria-label="Search events">
              <TextField
                id="f-q"
                label="Search"
                className="field-q"
                type="search"
                name="q"
                placeholder="Artist, event or venue"
                value={form.q}
                onChange={update('q')}
              />
              <TextField
                id="f-city"
                label="City"
                name="city"
                placeholder="Any city"
                value={form.city}
                onChange={update('city')}
              />
              <TextField
                id="f-category"
                label="Category"
                name="category"
                list="category-suggestions"
                placeholder="Any category"
                value={form.category}
                onChange={update('category')}
              >
                <datalist id="category-suggestions">
                  {CATEGORIES.map((c) => (
                    <option key={c} value={c} />
                  ))}
                </datalist>
              </TextField>
              <TextField
                id="f-from"
                label="From"
                type="date"
                name="from"
                value={form.from}
                onChange={update('from')}
              />
              <TextField
                id="f-to"
                label="To"
                type="date"
                name="to"
                value={form.to}
                min={form.from || undefined}
                onChange={update('to')}
              />
              <div className="search-actions">
                <button type="submit" className="button">
                  Search
                </button>
                {hasFilters && (
                  <button type="button" className="button button-ghost" onClick={onReset}>
                    Clear
                  </button>
                )}
              </div>
            </form>
          </search>
        </div>
      </section>

      <section className="page" aria-labelledby="results-heading">
        <h2 id="results-heading" className="sr-only">
          Events
        </h2>
        <div aria-live="polite" className="results-status">
          {!loading && !error && items.length > 0 && (
            <p className="muted">
              {hasFilters ? 'Matching events' : 'Upcoming events'}: showing {items.length}
              {nextCursor ? ' so far' : ''}
            </p>
          )}
        </div>
        {loading ? (
          <Loading label="Loading events…" />
        ) : error && items.length === 0 ? (
          <RetryableError error={error} onRetry={reload} />
        ) : items.length === 0 ? (
          <EmptyState title={hasFilters ? 'No events match your search' : 'No upcoming events yet'}>
            <p className="muted">
              {hasFilters
                ? 'Try another city, category or date range.'
                : 'Check back soon: new events are added all the time.'}
            </p>
            {hasFilters && (
              <button type="button" className="button button-secondary" onClick={onReset}>
                Show all events
              </button>
            )}
          </EmptyState>
        ) : (
          <>
            <ul className="event-grid">
              {items.map((event) => (
                <EventCard key={event.id} event={event} />
              ))}
            </ul>
            {error ? <ErrorMessage error={error} /> : null}
            {nextCursor && <LoadMore onLoadMore={loadMore} loading={loadingMore} />}
          </>
        )}
      </section>
    </>
  );
}
