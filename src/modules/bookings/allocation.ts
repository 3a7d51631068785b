// The pure decision of one allocation batch: given the seats left and each buyer's current count,
// which requests (in arrival order, each all-or-nothing) get their tickets.

export interface AllocationRequest {
  userId: string;
  quantity: number;
}

export type AllocationOutcome =
  | { ok: true }
  | { ok: false; code: 'SOLD_OUT' }
  | { ok: false; code: 'INSUFFICIENT_AVAILABILITY'; available: number }
  | { ok: false; code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyHeld: number };

export interface AllocationResult {
  outcomes: AllocationOutcome[];
  /** Tickets taken by the granted requests. */
  taken: number;
  /** Tickets added per user by the granted requests. */
  perUser: Map<string, number>;
  remaining: number;
}

/**
 * First come, first served: nothing left is SOLD_OUT; otherwise a request is granted when the
 * buyer stays within `limit` and the remaining seats cover it; a request that does not fit does not block smaller ones behind it.
 */
export function allocate(
  available: number,
  requests: readonly AllocationRequest[],
  userCounts: ReadonlyMap<string, number>,
  limit: number,
): AllocationResult {
  let remaining = available;
  const counts = new Map(userCounts);
  const perUser = new Map<string, number>();
  const outcomes = requests.map((request): AllocationOutcome => {
    if (remaining === 0) return { ok: false, code: 'SOLD_OUT' };
    const current = counts.get(request.userId) ?? 0;
    if (current + request.quantity > limit) {
      return { ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit, alreadyHeld: current };
    }
    if (request.quantity > remaining)
      return { ok: false, code: 'INSUFFICIENT_AVAILABILITY', available: remaining };
    remaining -= request.quantity;
    counts.set(request.userId, current + request.quantity);
    perUser.set(request.userId, (perUser.get(request.userId) ?? 0) + request.quantity);
    return { ok: true };
  });
  return { outcomes, taken: available - remaining, perUser, remaining };
}
