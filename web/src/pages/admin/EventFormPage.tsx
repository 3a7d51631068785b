// Create or edit an event and its ticket types. Edits send If-Match so concurrent changes
// by another organiser are caught instead of silently overwritten.
import { type ChangeEvent, type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import { admin, events } from '../../api/endpoints.ts';
import type { EventInput, EventItem, EventStatus } from '../../api/types.ts';
import { PageTitle } from '../../components/PageTitle.tsx';
import { ErrorMessage, Loading } from '../../components/Status.tsx';
import { fromDateTimeLocal, parseMoney, toDateTimeLocal, toMoneyInput } from '../../lib/format.ts';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'CAD', 'AUD', 'JPY'];

interface TicketRow {
  key: string;
  id?: string;
  name: string;
  price: string;
  currency: string;
  capacity: string;
  sold?: number;
}

interface FormState {
  name: string;
  description: string;
  category: string;
  venueName: string;
  venueCity: string;
  venueAddress: string;
  startsAt: string;
  endsAt: string;
  status: Exclude<EventStatus, 'cancelled'>;
  maxTicketsPerUser: string;
  holdTtlSeconds: string;
  ticketTypes: TicketRow[];
}

type Errors = Record<string, string>;

/** The form's fields that a text, date or number input edits directly. */
type TextKey = Exclude<keyof FormState, 'status' | 'ticketTypes'>;

let rowCounter = 0;
const newRow = (currency = 'USD'): TicketRow => ({
  key: `row-${++rowCounter}`,
  name: '',
  price: '',
  currency,
  capacity: '',
});

const emptyForm = (): FormState => ({
  name: '',
  description: '',
  category: '',
  venueName: '',
  venueCity: '',
  venueAddress: '',
  startsAt: '',
  endsAt: '',
  status: 'published',
  maxTicketsPerUser: '10',
  holdTtlSeconds: '300',
  ticketTypes: [{ ...newRow(), name: 'General admission' }],
});

function fromEvent(event: EventItem): FormState {
  return {
    name: event.name,
    description: event.description ?? '',
    category: event.category ?? '',
    venueName: event.venue.name,
    venueCity: event.venue.city,
    venueAddress: event.venue.address ?? '',
    startsAt: toDateTimeLocal(event.startsAt),
    endsAt: toDateTimeLocal(event.endsAt),
    status: event.status === 'draft' ? 'draft' : 'published',
    maxTicketsPerUser: String(event.maxTicketsPerUser),
    holdTtlSeconds: String(event.holdTtlSeconds),
    ticketTypes: event.ticketTypes.map((t) => ({
      key: `row-${++rowCounter}`,
      id: t.id,
      name: t.name,
      price: toMoneyInput(t.priceCents, t.currency),
      currency: t.currency,
      capacity: String(t.capacity),
    })),
  };
}

/** Limits of the event's numeric settings: the inputs offer them and validate() enforces them. */
const BOUNDS = {
  maxTicketsPerUser: { min: 1, max: 1000 },
  holdTtlSeconds: { min: 1, max: 3600 },
} as const;

function intIn(value: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(value.trim())) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

function validate(form: FormState, isNew: boolean): { errors: Errors; body: EventInput | null } {
  const errors: Errors = {};
  if (!form.name.trim()) errors.name = 'Enter the event name.';
  if (!form.venueName.trim()) errors.venueName = 'Enter the venue name.';
  if (!form.venueCity.trim()) errors.venueCity = 'Enter the city.';
  if (!form.startsAt) errors.startsAt = 'Choose when the event starts.';
  else if (isNew && new Date(form.startsAt).getTime() <= Date.now())
    errors.startsAt = 'The start must be in the future.';
  if (form.endsAt && form.startsAt && new Date(form.endsAt) <= new Date(form.startsAt)) {
    errors.endsAt = 'The end must be after the start.';
  }
  const maxTickets = intIn(
    form.maxTicketsPerUser,
    BOUNDS.maxTicketsPerUser.min,
    BOUNDS.maxTicketsPerUser.max,
  );
  if (maxTickets === null) errors.maxTicketsPerUser = 'Enter a whole number from 1 to 1000.';
  const holdTtl = intIn(form.holdTtlSeconds, BOUNDS.holdTtlSeconds.min, BOUNDS.holdTtlSeconds.max);
  if (holdTtl === null) errors.holdTtlSeconds = 'Enter a whole number of seconds from 1 to 3600.';
  if (form.ticketTypes.length === 0) errors.ticketTypes = 'Add at least one ticket type.';
  const ticketTypes = form.ticketTypes.map((row) => {
    if (!row.name.trim()) errors[`${row.key}-name`] = 'Enter a name for this ticket type.';
    const priceCents = parseMoney(row.price, row.currency);
    if (priceCents === null) errors[`${row.key}-price`] = 'Enter a price such as 25 or 25.50 (0 for free).';
    const capacity = intIn(row.capacity, 0, 10_000_000);
    if (capacity === null) errors[`${row.key}-capacity`] = 'Enter how many tickets, as a whole number.';
    return {
      ...(row.id ? { id: row.id } : {}),
      name: row.name.trim(),
      priceCents: priceCents ?? 0,
      currency: row.currency,
      capacity: capacity ?? 0,
    };
  });
  if (Object.keys(errors).length > 0) return { errors, body: null };
  const description = form.description.trim();
  const category = form.category.trim();
  const address = form.venueAddress.trim();
  const body: EventInput = {
    name: form.name.trim(),
    venue: { name: form.venueName.trim(), city: form.venueCity.trim() },
    startsAt: fromDateTimeLocal(form.startsAt),
    status: form.status,
    maxTicketsPerUser: maxTickets ?? 10,
    holdTtlSeconds: holdTtl ?? 300,
    ticketTypes,
  };
  // Blank optional fields are left out on create and cleared (null) on edit.
  if (description || !isNew) body.description = description;
  if (category || !isNew) body.category = category || null;
  if (address || !isNew) body.venue.address = address || null;
  if (form.endsAt) body.endsAt = fromDateTimeLocal(form.endsAt);
  else if (!isNew) body.endsAt = null;
  return { errors: {}, body };
}

interface FieldProps {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => React.ReactNode;
  className?: string;
}

function Field({ id, label, error, hint, children, className }: FieldProps) {
  const describedBy =
    [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export function EventFormPage() {
  const { id } = useParams();
  const isNew = !id;
  const navigate = useNavigate();
  const [form, setForm] = useState<FormState>(emptyForm);
  const [original, setOriginal] = useState<EventItem | null>(null);
  const [loading, setLoading] = useState(!isNew);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [reloadCount, setReloadCount] = useState(0);
  const summaryRef = useRef<HTMLDivElement>(null);

  // A deployment sells in one currency: new events start with the one the catalogue uses.
  useEffect(() => {
    if (!isNew) return;
    const controller = new AbortController();
    events
      .list({ limit: 1 }, controller.signal)
      .then((page) => {
        const currency = page.data[0]?.ticketTypes[0]?.currency;
        if (!currency) return;
        setForm((current) =>
          current.ticketTypes.some((row) => row.price || row.capacity)
            ? current
            : { ...current, ticketTypes: current.ticketTypes.map((row) => ({ ...row, currency })) },
        );
      })
      .catch(() => {
        // Keep the default currency.
      });
    return () => controller.abort();
  }, [isNew]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadCount fetches the latest version on demand
  useEffect(() => {
    if (!id) return;
    const controller = new AbortController();
    setLoading(true);
    admin
      .getEvent(id, controller.signal)
      .catch((err: unknown) => {
        // A server without the admin read: the public one (published events only).
        if (err instanceof ApiError && err.code === 'NOT_FOUND')
          return events.get(id, controller.signal, true);
        throw err;
      })
      .then((event) => {
        setOriginal(event);
        setForm(fromEvent(event));
        setErrors({});
        setSaveError(null);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setLoadError(err);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [id, reloadCount]);

  function set<K extends keyof FormState>(key: K, value: FormState[K]) {
    setForm((current) => ({ ...current, [key]: value }));
  }

  /** value and onChange for an input or textarea that edits one text field of the form. */
  function bind(key: TextKey) {
    return {
      value: form[key],
      onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => set(key, e.target.value),
    };
  }

  /** A whole-number input for one of the bounded settings. */
  function boundedNumber(key: keyof typeof BOUNDS) {
    return { type: 'number', inputMode: 'numeric', ...BOUNDS[key], ...bind(key) } as const;
  }

  function setRow(key: string, patch: Partial<TicketRow>) {
    setForm((current) => ({
      ...current,
      ticketTypes: current.ticketTypes.map((row) => (row.key === key ? { ...row, ...patch } : row)),
    }));
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const { errors: found, body } = validate(form, isNew);
    setErrors(found);
    setSaveError(null);
    if (!body) {
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setSaving(true);
    try {
      const saved = isNew
        ? await admin.createEvent(body)
        : await admin.updateEvent(id, body, original?.version ?? 0);
      navigate('/admin', {
        state: { flash: isNew ? `${saved.name} was created.` : `${saved.name} was saved.`, saved },
      });
    } catch (err) {
      setSaveError(err);
      setSaving(false);
      requestAnimationFrame(() => summaryRef.current?.focus());
    }
  }

  if (loading) return <Loading label="Loading event…" />;
  if (loadError) {
    return (
      <section className="page narrow">
        <PageTitle title="Event unavailable" />
        <ErrorMessage error={loadError} action={<Link to="/admin">Back to events</Link>} />
      </section>
    );
  }

  const cancelled = original?.status === 'cancelled';
  const errorList = Object.entries(errors);
  const conflict = saveError instanceof ApiError && saveError.code === 'VERSION_CONFLICT';

  return (
    <section className="page narrow-wide">
      <p className="breadcrumb">
        <Link to="/admin">← Manage events</Link>
      </p>
      <PageTitle title={isNew ? 'New event' : `Edit ${original?.name ?? 'event'}`} />
      {cancelled && (
        <div className="notice notice-warning" role="status">
          <p>This event was cancelled and can no longer be changed.</p>
        </div>
      )}
      <div ref={summaryRef} tabIndex={-1} className="error-summary-anchor">
        {errorList.length > 0 && (
          <div className="notice notice-error" role="alert">
            <p>
              Please fix {errorList.length === 1 ? 'this problem' : `these ${errorList.length} problems`}:
            </p>
            <ul>
              {errorList.map(([field, message]) => (
                <li key={field}>
                  <a href={`#ev-${field}`}>{message}</a>
                </li>
              ))}
            </ul>
          </div>
        )}
        <ErrorMessage
          error={saveError}
          action={
            conflict ? (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => setReloadCount((n) => n + 1)}
              >
                Load the latest version
              </button>
            ) : undefined
          }
        />
      </div>
      <form className="event-form" onSubmit={onSubmit} noValidate>
        <fieldset className="card form-section" disabled={cancelled || saving}>
          <legend>Basics</legend>
          <Field id="ev-name" label="Event name" error={errors.name}>
            {(p) => <input {...p} {...bind('name')} required />}
          </Field>
          <Field id="ev-description" label="Description (optional)">
            {(p) => <textarea {...p} rows={4} {...bind('description')} />}
          </Field>
          <Field
            id="ev-category"
            label="Category (optional)"
            hint="For example Music, Theatre or Conference."
          >
            {(p) => <input {...p} {...bind('category')} />}
          </Field>
        </fieldset>

        <fieldset className="card form-section" disabled={cancelled || saving}>
          <legend>Venue and time</legend>
          <div className="form-grid">
            <Field id="ev-venueName" label="Venue" error={errors.venueName}>
              {(p) => <input {...p} {...bind('venueName')} required />}
            </Field>
            <Field id="ev-venueCity" label="City" error={errors.venueCity}>
              {(p) => <input {...p} {...bind('venueCity')} required />}
            </Field>
          </div>
          <Field id="ev-venueAddress" label="Address (optional)">
            {(p) => <input {...p} {...bind('venueAddress')} autoComplete="off" />}
          </Field>
          <div className="form-grid">
            <Field id="ev-startsAt" label="Starts" error={errors.startsAt}>
              {(p) => <input {...p} type="datetime-local" {...bind('startsAt')} required />}
            </Field>
            <Field id="ev-endsAt" label="Ends (optional)" error={errors.endsAt}>
              {(p) => (
                <input {...p} type="datetime-local" {...bind('endsAt')} min={form.startsAt || undefined} />
              )}
            </Field>
          </div>
        </fieldset>

        <fieldset className="card form-section" disabled={cancelled || saving}>
          <legend>Sales</legend>
          <div className="form-grid form-grid-3">
            <Field id="ev-status" label="Status" hint="Drafts are hidden from buyers.">
              {(p) => (
                <select
                  {...p}
                  value={form.status}
                  onChange={(e) => set('status', e.target.value as FormState['status'])}
                >
                  <option value="published">Published</option>
                  <option value="draft">Draft</option>
                </select>
              )}
            </Field>
            <Field id="ev-maxTicketsPerUser" label="Ticket limit per buyer" error={errors.maxTicketsPerUser}>
              {(p) => <input {...p} {...boundedNumber('maxTicketsPerUser')} />}
            </Field>
            <Field
              id="ev-holdTtlSeconds"
              label="Hold time (seconds)"
              error={errors.holdTtlSeconds}
              hint="How long a reservation waits for payment."
            >
              {(p) => <input {...p} {...boundedNumber('holdTtlSeconds')} />}
            </Field>
          </div>
        </fieldset>

        <fieldset className="card form-section" disabled={cancelled || saving}>
          <legend>Ticket types</legend>
          {errors.ticketTypes && (
            <p className="field-error" id="ev-ticketTypes">
              {errors.ticketTypes}
            </p>
          )}
          <ol className="ticket-rows">
            {form.ticketTypes.map((row, index) => (
              <li key={row.key} className="ticket-row">
                <p className="ticket-row-title" id={`${row.key}-title`}>
                  Ticket type {index + 1}
                </p>
                <div className="ticket-row-fields">
                  <Field
                    id={`ev-${row.key}-name`}
                    label="Name"
                    error={errors[`${row.key}-name`]}
                    className="grow"
                  >
                    {(p) => (
                      <input
                        {...p}
                        value={row.name}
                        onChange={(e) => setRow(row.key, { name: e.target.value })}
                      />
                    )}
                  </Field>
                  <Field id={`ev-${row.key}-price`} label="Price" error={errors[`${row.key}-price`]}>
                    {(p) => (
                      <input
                        {...p}
                        inputMode="decimal"
                        value={row.price}
                        placeholder="0.00"
                        onChange={(e) => setRow(row.key, { price: e.target.value })}
                      />
                    )}
                  </Field>
                  <Field id={`ev-${row.key}-currency`} label="Currency">
                    {(p) => (
                      <select
                        {...p}
                        value={row.currency}
                        onChange={(e) => setRow(row.key, { currency: e.target.value })}
                      >
                        {(CURRENCIES.includes(row.currency) ? CURRENCIES : [row.currency, ...CURRENCIES]).map(
                          (c) => (
                            <option key={c} value={c}>
                              {c}
                            </option>
                          ),
                        )}
                      </select>
                    )}
                  </Field>
                  <Field id={`ev-${row.key}-capacity`} label="Capacity" error={errors[`${row.key}-capacity`]}>
                    {(p) => (
                      <input
                        {...p}
                        type="number"
                        inputMode="numeric"
                        min={0}
                        value={row.capacity}
                        onChange={(e) => setRow(row.key, { capacity: e.target.value })}
                      />
                    )}
                  </Field>
                </div>
                {!row.id && form.ticketTypes.length > 1 && (
                  <button
                    type="button"
                    className="button button-ghost button-small danger-text"
                    aria-describedby={`${row.key}-title`}
                    onClick={() =>
                      set(
                        'ticketTypes',
                        form.ticketTypes.filter((r) => r.key !== row.key),
                      )
                    }
                  >
                    Remove
                  </button>
                )}
              </li>
            ))}
          </ol>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => set('ticketTypes', [...form.ticketTypes, newRow(form.ticketTypes[0]?.currency)])}
          >
            Add ticket type
          </button>
        </fieldset>

        <div className="form-actions">
          <Link to="/admin" className="button button-ghost">
            Back
          </Link>
          <button
            type="submit"
            className="button button-large"
            disabled={cancelled || saving}
            aria-busy={saving}
          >
            {saving ? 'Saving…' : isNew ? 'Create event' : 'Save changes'}
          </button>
        </div>
      </form>
    </section>
  );
}
