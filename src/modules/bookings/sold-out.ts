// The sold-out fast path: a ticket type known to be sold out answers 409 without touching the
// database. A mark lives at most one second, so even a lost reopen signal cannot keep sales
// closed longer than that; released seats clear it at once through the inventory signal.
//
// Before a mark runs out, one request (the probe) goes to the allocation lane as usual while the
// others still get their 409 from the mark. If the probe's batch finds the ticket type still sold
// out, the mark starts afresh; if it finds seats, the mark goes. Without the probe, a sold-out
// flood poured into the lane once a second: hundreds of requests waiting one batch for the same
// answer, which was the tail of a sell-out's latency.
const MARK_TTL_MS = 1000;
/** When a mark is this old, the next request probes the database instead of reading the mark. */
const PROBE_AFTER_MS = 900;

interface Mark {
  at: number;
  probing: boolean;
}

export class SoldOutMarks {
  private readonly marks = new Map<string, Mark>();

  isSoldOut(ticketTypeId: string, now = Date.now()): boolean {
    const mark = this.live(ticketTypeId, now);
    if (mark === undefined) return false;
    if (now - mark.at < PROBE_AFTER_MS || mark.probing) return true;
    // This request is the probe: it goes to the database, and the batch that decides it renews
    // the mark (still sold out) or drops it (seats came back).
    mark.probing = true;
    return false;
  }

  /**
   * Whether the type is known sold out now and no probe is checking it: the allocation lane asks
   * this for requests that queued before a batch set the mark (they get the 409 the fast path
   * would have given them). Never claims the probe; false once the probe is due or in flight.
   */
  isKnownSoldOut(ticketTypeId: string, now = Date.now()): boolean {
    const mark = this.live(ticketTypeId, now);
    return mark !== undefined && !mark.probing && now - mark.at < PROBE_AFTER_MS;
  }

  /** Whether a live mark stands, without claiming the probe (for tests and diagnostics). */
  isMarked(ticketTypeId: string, now = Date.now()): boolean {
    return this.live(ticketTypeId, now) !== undefined;
  }

  mark(ticketTypeId: string, now = Date.now()): void {
    this.marks.set(ticketTypeId, { at: now, probing: false });
  }

  reopen(ticketTypeIds: Iterable<string>): void {
    for (const id of ticketTypeIds) this.marks.delete(id);
  }

  clear(): void {
    this.marks.clear();
  }

  /** The mark if it is younger than its TTL; an older one is dropped. */
  private live(ticketTypeId: string, now: number): Mark | undefined {
    const mark = this.marks.get(ticketTypeId);
    if (mark === undefined || now - mark.at < MARK_TTL_MS) return mark;
    this.marks.delete(ticketTypeId);
    return undefined;
  }
}
