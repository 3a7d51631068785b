// Random interleavings of reserve, confirm, cancel and expiry across users and ticket types:
// whatever happens, the inventory invariant holds and nothing goes negative.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminSession,
  cancel,
  confirm,
  createEvent,
  expectInventoryConsistent,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { bulkUsers } from '../helpers/users.js';

type Command =
  | {
      kind: 'reserve';
      user: number;
      type: number;
      quantity: number;
      token?: 'tok_visa' | 'tok_chargeDeclined';
    }
  | { kind: 'confirm'; booking: number; token: 'tok_visa' | 'tok_chargeDeclined' }
  | { kind: 'cancel'; booking: number }
  | { kind: 'lapse'; booking: number }
  | { kind: 'sweep' };

const USERS = 4;
const LIMIT = 4;

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      user: fc.nat(USERS - 1),
      type: fc.nat(2),
      quantity: fc.integer({ min: 1, max: 3 }),
      token: fc.option(fc.constantFrom('tok_visa' as const, 'tok_chargeDeclined' as const), {
        nil: undefined,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('confirm' as const),
      booking: fc.nat(40),
      token: fc.constantFrom('tok_visa' as const, 'tok_chargeDeclined' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), booking: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lapse' as const), booking: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);

describe('property: random interleavings keep the invariant', () => {
  let t: TestContext;
  let admin: Session;
  beforeAll(async () => {
    t = await createTestApp({ poolSize: 20 });
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  it('available + held + confirmed = capacity after every round, for any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(command, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        async (rounds) => {
          const event = await createEvent(t.app, admin, {
            maxTicketsPerUser: LIMIT,
            ticketTypes: [
              { name: 'A', priceCents: 1000, capacity: 5 },
              { name: 'B', priceCents: 500, capacity: 3 },
              { name: 'C', priceCents: 0, capacity: 2 },
            ],
          });
          const users = await bulkUsers(t.app, USERS);
          const bookings: { id: string; owner: Session }[] = [];
          const run = async (c: Command) => {
            switch (c.kind) {
              case 'reserve': {
                const owner = users[c.user] as Session;
                const res = await reserve(t.app, owner, {
                  eventId: event.id,
                  ticketTypeId: event.ticketTypes[c.type].id,
                  quantity: c.quantity,
                  ...(c.token ? { paymentToken: c.token } : {}),
                });
                expect([201, 402, 409]).toContain(res.statusCode);
                if (res.statusCode === 201) bookings.push({ id: res.json().id, owner });
                return;
              }
              case 'confirm': {
                const b = bookings[c.booking % Math.max(1, bookings.length)];
                if (!b) return;
                expect([200, 402, 409, 410]).toContain(
                  (await confirm(t.app, b.owner, b.id, c.token)).statusCode,
                );
                return;
              }
              case 'cancel': {
                const b = bookings[c.booking % Math.max(1, bookings.length)];
                if (!b) return;
                expect([200, 409]).toContain((await cancel(t.app, b.owner, b.id)).statusCode);
                return;
              }
              case 'lapse': {
                const b = bookings[c.booking % Math.max(1, bookings.length)];
                if (!b) return;
                // Time travel for one hold: its deadline moves into the past, then a sweep races the rest.
                await sql`UPDATE bookings SET expires_at = now() - interval '1 millisecond' WHERE id = ${b.id} AND status = 'held'`.execute(
                  t.db.db,
                );
                await t.app.ctx.bookings.expireDue();
                return;
              }
              case 'sweep':
                await t.app.ctx.bookings.expireDue();
                return;
            }
          };
          for (const round of rounds) {
            await Promise.all(round.map(run));
            const report = await expectInventoryConsistent(t.app, admin, event.id);
            for (const type of report.ticketTypes) expect(type.available).toBeGreaterThanOrEqual(0);
            const perUser = await t.db.db
              .selectFrom('bookings')
              .select(['userId', (eb) => eb.fn.sum<number>('quantity').as('live')])
              .where('eventId', '=', event.id)
              .where('status', 'in', ['held', 'confirmed'])
              .groupBy('userId')
              .execute();
            for (const row of perUser) expect(Number(row.live)).toBeLessThanOrEqual(LIMIT);
            // Money: what the provider holds for each booking equals what the booking says was paid
            // and not refunded (a lost race's charge must come back, a won one must stay).
            const ledger = await sql<{ net: number; expected: number }>`
            SELECT COALESCE(sum(CASE p.kind WHEN 'charge' THEN p.amount_cents ELSE -p.amount_cents END), 0)::int AS net,
                   (b.paid_cents - b.refunded_cents) AS expected
              FROM bookings b LEFT JOIN payments p ON p.booking_id = b.id
             WHERE b.event_id = ${event.id}
             GROUP BY b.id`.execute(t.db.db);
            for (const row of ledger.rows) expect(row.net).toBe(row.expected);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
