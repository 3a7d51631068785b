import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate } from '../../src/modules/bookings/allocation.js';

describe('allocate (one batch decision)', () => {
  it('serves in arrival order and lets a smaller request pass one that does not fit', () => {
    const result = allocate(
      3,
      [
        { userId: 'a', quantity: 2 },
        { userId: 'b', quantity: 2 },
        { userId: 'c', quantity: 1 },
        { userId: 'd', quantity: 1 },
      ],
      new Map(),
      10,
    );
    expect(result.outcomes).toEqual([
      { ok: true },
      { ok: false, code: 'INSUFFICIENT_AVAILABILITY', available: 1 },
      { ok: true },
      { ok: false, code: 'SOLD_OUT' },
    ]);
    expect(result.taken).toBe(3);
    expect(result.remaining).toBe(0);
  });

  it('counts a buyer’s earlier tickets and earlier grants in the same batch against the limit', () => {
    const result = allocate(
      100,
      [
        { userId: 'a', quantity: 2 },
        { userId: 'a', quantity: 2 },
        { userId: 'b', quantity: 1 },
      ],
      new Map([['a', 1]]),
      4,
    );
    expect(result.outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(result.outcomes[1]).toEqual({
      ok: false,
      code: 'TICKET_LIMIT_EXCEEDED',
      limit: 4,
      alreadyHeld: 3,
    });
    expect(result.perUser).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
  });

  it('never grants more than available nor more than the limit per buyer (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(50),
        fc.array(
          fc.record({
            userId: fc.constantFrom('a', 'b', 'c', 'd'),
            quantity: fc.integer({ min: 1, max: 6 }),
          }),
          { maxLength: 60 },
        ),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat(5)),
        fc.integer({ min: 1, max: 8 }),
        (available, requests, counts, limit) => {
          const start = new Map(Object.entries(counts));
          const result = allocate(available, requests, start, limit);
          const granted = requests.filter((_, i) => result.outcomes[i]?.ok);
          const taken = granted.reduce((sum, r) => sum + r.quantity, 0);
          expect(taken).toBe(result.taken);
          expect(taken).toBeLessThanOrEqual(available);
          expect(result.remaining).toBe(available - taken);
          for (const [user, added] of result.perUser) {
            const before = start.get(user) ?? 0;
            // Requests that were already over the limit stay rejected; grants never push a buyer past it.
            expect(before + added).toBeLessThanOrEqual(Math.max(limit, before));
          }
          // Greedy: a rejected request for lack of seats really did not fit at its turn.
          let left = available;
          requests.forEach((r, i) => {
            const outcome = result.outcomes[i];
            if (outcome?.ok) left -= r.quantity;
            else if (outcome?.code === 'INSUFFICIENT_AVAILABILITY') expect(r.quantity).toBeGreaterThan(left);
            else if (outcome?.code === 'SOLD_OUT') expect(left).toBe(0);
          });
        },
      ),
    );
  });
});
