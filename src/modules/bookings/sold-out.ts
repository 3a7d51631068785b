// The sold-out fast path: a ticket type known to be sold out answers 409 without touching the
// database. A mark lives at most one second, so even a lost reopen signal cannot keep sales
// closed longer than that; released seats clear it at once through the inventory signal.
const MARK_TTL_MS = 1000;

export class SoldOutMarks {
  private readonly marks = new Map<string, number>();

  isSoldOut(ticketTypeId: string, now = Date.now()): boolean {
    const at = this.marks.get(ticketTypeId);
    if (at === undefined) return false;
    if (now - at < MARK_TTL_MS) return true;
    this.marks.delete(ticketTypeId);
    return false;
  }

  mark(ticketTypeId: string, now = Date.now()): void {
    this.marks.set(ticketTypeId, now);
  }

  reopen(ticketTypeIds: Iterable<string>): void {
    for (const id of ticketTypeIds) this.marks.delete(id);
  }

  clear(): void {
    this.marks.clear();
  }
}
