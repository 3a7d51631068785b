// A cache of what routing a reservation needs (event status, start, limit, ticket types), so the
// hot path does not read the event per request. It only routes and rejects early: the allocation
// transaction re-reads status, start and limit under the ticket type's lock.
//
// An entry is fresh for a second. After that the next request still gets it, at once, while one
// read refreshes it in the background (stale-while-revalidate). Before, the first request after
// each second started the read and every reservation of the event, sold-out answers included,
// waited for it: in a rush, two round trips behind a busy event loop, measured at 9-74 ms with
// no answer at all in the meantime. A stale entry is served for at most maxStaleMs (10 s); past it,
// callers wait for the read. invalidate() (an admin edit here, or its signal from another
// process) drops the entry, so the next request waits for the new state, and a refresh that was
// already running when it came is discarded.
//
// The public event page reads everything a route needs, so it primes the directory: buyers who
// wait on the page when a sale opens have warmed the route, and the first wave of reservations
// does not wait for a read of its own behind the event loop that is parsing it.
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { EventStatus } from '../../platform/db/schema.js';
import { isUuid } from '../../platform/http/errors.js';
import type { Event } from './events.service.js';

export interface EventRoute {
  id: string;
  status: EventStatus;
  startsAt: Date;
  maxTicketsPerUser: number;
  ticketTypeIds: string[];
}

export type RouteLoader = (eventId: string) => Promise<EventRoute | undefined>;

export interface EventDirectoryOptions {
  /** How long an entry is served without a refresh. */
  ttlMs?: number;
  /** How long a stale entry may still be served while its refresh runs or keeps failing. */
  maxStaleMs?: number;
  now?: () => number;
}

interface Entry {
  value: Promise<EventRoute | undefined>;
  /** When the read behind this value started. */
  at: number;
  /** The read finished: the value may be served stale. */
  loaded: boolean;
  refreshing: boolean;
}

const MAX_ENTRIES = 50_000;

export class EventDirectory {
  private readonly entries = new Map<string, Entry>();
  /** Counts invalidations: a read that started before one may predate the change it announces. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxStaleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly load: RouteLoader,
    options: EventDirectoryOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 1000;
    this.maxStaleMs = options.maxStaleMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get(eventId: string): Promise<EventRoute | undefined> {
    if (!isUuid(eventId)) return Promise.resolve(undefined);
    const now = this.now();
    const entry = this.entries.get(eventId);
    if (entry) {
      const age = now - entry.at;
      // Single flight: requests that come while the first read runs share it.
      if (age < this.ttlMs || !entry.loaded) return entry.value;
      if (age < this.maxStaleMs) {
        if (!entry.refreshing) this.refresh(eventId, entry, now);
        return entry.value;
      }
    }
    return this.start(eventId, now).value;
  }

  invalidate(eventId: string): void {
    this.generation++;
    this.entries.delete(eventId);
  }

  /**
   * For a read of the event made elsewhere (the public event page): call it before the read, and
   * the function it returns with the route that read found. The route is kept unless an
   * invalidation came in between or the directory holds an entry whose read started later.
   */
  primer(eventId: string): (route: EventRoute) => void {
    const generation = this.generation;
    const at = this.now();
    return (route) => {
      if (this.generation !== generation || !isUuid(eventId)) return;
      const entry = this.entries.get(eventId);
      if (entry && entry.at >= at) return;
      this.put(eventId, loadedEntry(route, at));
    };
  }

  private start(eventId: string, now: number): Entry {
    const entry: Entry = { value: this.load(eventId), at: now, loaded: false, refreshing: false };
    this.put(eventId, entry);
    entry.value.then(
      () => {
        entry.loaded = true;
      },
      () => {
        if (this.entries.get(eventId) === entry) this.entries.delete(eventId);
      },
    );
    return entry;
  }

  private refresh(eventId: string, stale: Entry, now: number): void {
    stale.refreshing = true;
    this.load(eventId).then(
      (route) => {
        // Invalidated (or replaced) while the read ran: the read may predate the change.
        if (this.entries.get(eventId) !== stale) return;
        this.put(eventId, loadedEntry(route, now));
      },
      () => {
        // Keep serving the stale entry until maxStaleMs; the next request tries again.
        stale.refreshing = false;
      },
    );
  }

  private put(eventId: string, entry: Entry): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(eventId, entry);
  }
}

/** An entry for a read that has finished (a refresh, or the event page's). */
const loadedEntry = (route: EventRoute | undefined, at: number): Entry => ({
  value: Promise.resolve(route),
  at,
  loaded: true,
  refreshing: false,
});

/** The route of an event as the public event page read it. */
export function routeOf(event: Event): EventRoute {
  return {
    id: event.id,
    status: event.status,
    startsAt: new Date(event.startsAt),
    maxTicketsPerUser: event.maxTicketsPerUser,
    ticketTypeIds: event.ticketTypes.map((t) => t.id),
  };
}

/** One round trip: the event and its ticket types in display order. */
export function eventRouteLoader(db: Db): RouteLoader {
  return (eventId) =>
    db
      .selectFrom('events as e')
      .select(['e.id', 'e.status', 'e.startsAt', 'e.maxTicketsPerUser'])
      .select(
        sql<string[]>`array(SELECT t.id FROM ticket_types t WHERE t.event_id = e.id ORDER BY t.position)`.as(
          'ticketTypeIds',
        ),
      )
      .where('e.id', '=', eventId)
      .executeTakeFirst();
}
