// The allocation decision of one batch, made by evently_reserve_batch inside PostgreSQL.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRequest } from '../../src/modules/bookings/bookings.repository.js';
import {
  adminSession,
  createEvent,
  expectInventoryConsistent,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { bulkUsers } from '../helpers/users.js';

describe('evently_reserve_batch (one batch, one round trip)', () => {
  let t: TestContext;
  let admin: Session;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  const repo = () =>
    (
      t.app.ctx.bookings as unknown as {
        repo: import('../../src/modules/bookings/bookings.repository.js').BookingsRepository;
      }
    ).repo;
  const batch = (ticketTypeId: string, requests: BatchRequest[]) =>
    repo().reserveBatch(undefined, ticketTypeId, requests);

  it('runs with its plan settings: lookups through indexes (0009), plans made once per connection (0016)', async () => {
    // A migration that recreates the function without them would silently plan every small batch
    // again, or scan the counters whole while their statistics say the table is empty.
    const { rows } = await sql<{ proconfig: string[] | null }>`
      SELECT proconfig FROM pg_proc WHERE proname = 'evently_reserve_batch'`.execute(t.app.ctx.dbHandle.db);
    expect(rows).toHaveLength(1);
    expect([...(rows[0]?.proconfig ?? [])].sort()).toEqual([
      'enable_seqscan=off',
      'plan_cache_mode=force_generic_plan',
    ]);
  });

  it('serves in arrival order and lets a smaller request pass one that does not fit', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 3 }],
    });
    const [a, b, c, d] = await bulkUsers(t.app, 4);
    const result = await batch(event.ticketTypes[0].id, [
      { id: randomUUID(), userId: a?.userId as string, quantity: 2 },
      { id: randomUUID(), userId: b?.userId as string, quantity: 2 },
      { id: randomUUID(), userId: c?.userId as string, quantity: 1 },
      { id: randomUUID(), userId: d?.userId as string, quantity: 1 },
    ]);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.results).toEqual([
      { ok: true },
      { code: 'INSUFFICIENT_AVAILABILITY', available: 1 },
      { ok: true },
      { code: 'SOLD_OUT' },
    ]);
    expect(result.remaining).toBe(0);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('counts a buyer’s earlier tickets and earlier grants of the same batch against the limit', async () => {
    const event = await createEvent(t.app, admin, { maxTicketsPerUser: 4 });
    const [a, b] = await bulkUsers(t.app, 2);
    const tt = event.ticketTypes[0].id;
    await batch(tt, [{ id: randomUUID(), userId: a?.userId as string, quantity: 1 }]);
    const result = await batch(tt, [
      { id: randomUUID(), userId: a?.userId as string, quantity: 2 },
      { id: randomUUID(), userId: a?.userId as string, quantity: 2 },
      { id: randomUUID(), userId: b?.userId as string, quantity: 1 },
    ]);
    expect(result.status === 'ok' && result.results).toEqual([
      { ok: true },
      { code: 'TICKET_LIMIT_EXCEEDED', limit: 4, alreadyHeld: 3 },
      { ok: true },
    ]);
  });

  it('never grants more than available nor past the limit, and grants greedily (property)', async () => {
    const users = await bulkUsers(t.app, 4);
    const picks = fc.array(fc.record({ user: fc.nat(3), quantity: fc.integer({ min: 1, max: 5 }) }), {
      maxLength: 25,
    });
    await fc.assert(
      // Two batches on one ticket type: the second meets the first one's counters and seats, so
      // both the batch granted whole (0015) and the one decided request by request are exercised
      // with buyers who already hold tickets.
      fc.asyncProperty(
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 1, max: 8 }),
        picks,
        picks,
        async (capacity, limit, firstPicks, secondPicks) => {
          const event = await createEvent(t.app, admin, {
            maxTicketsPerUser: limit,
            ticketTypes: [{ name: 'GA', priceCents: 100, capacity }],
          });
          // The same rule, replayed in the test: first come, first served.
          let left = capacity;
          const held = new Map<string, number>();
          for (const batchPicks of [firstPicks, secondPicks]) {
            const requests = batchPicks.map((p) => ({
              id: randomUUID(),
              userId: users[p.user]?.userId as string,
              quantity: p.quantity,
            }));
            const result = await batch(event.ticketTypes[0].id, requests);
            if (result.status !== 'ok') throw new Error(result.status);
            requests.forEach((r, i) => {
              const decision = result.results[i];
              const mine = held.get(r.userId) ?? 0;
              if (left === 0) expect(decision).toEqual({ code: 'SOLD_OUT' });
              else if (mine + r.quantity > limit)
                expect(decision).toEqual({ code: 'TICKET_LIMIT_EXCEEDED', limit, alreadyHeld: mine });
              else if (r.quantity > left)
                expect(decision).toEqual({ code: 'INSUFFICIENT_AVAILABILITY', available: left });
              else {
                expect(decision).toEqual({ ok: true });
                left -= r.quantity;
                held.set(r.userId, mine + r.quantity);
              }
            });
            expect(result.remaining).toBe(left);
          }
          await expectInventoryConsistent(t.app, admin, event.id);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses cancelled and started events as a whole, and writes nothing', async () => {
    const [a] = await bulkUsers(t.app, 1);
    const started = await createEvent(t.app, admin, { startsAt: new Date(Date.now() - 1000).toISOString() });
    const result = await batch(started.ticketTypes[0].id, [
      { id: randomUUID(), userId: a?.userId as string, quantity: 1 },
    ]);
    expect(result).toEqual({ status: 'started' });
    expect((await batch(randomUUID(), [])).status).toBe('not_found');
    await expectInventoryConsistent(t.app, admin, started.id);
  });

  it('reads and writes buyers’ counters through their key, even where a scan looks cheaper', async () => {
    const event = await createEvent(t.app, admin, {});
    const tt = event.ticketTypes[0].id;
    const buyers = await bulkUsers(t.app, 3);
    const [returning] = buyers;
    await batch(tt, [{ id: randomUUID(), userId: returning?.userId as string, quantity: 1 }]);

    // This session prices index reads out of reach, as a plan made on a near-empty table would:
    // the function's own setting has to keep the counters on their primary key.
    const client = new pg.Client({ connectionString: t.url });
    const plans: string[] = [];
    client.on('notice', (notice) => plans.push(notice.message ?? ''));
    await client.connect();
    try {
      await client.query(`LOAD 'auto_explain'`);
      for (const setting of [
        'auto_explain.log_min_duration = 0',
        'auto_explain.log_nested_statements = on',
        'auto_explain.log_level = notice',
        'client_min_messages = notice',
        'random_page_cost = 1e9',
        'cpu_index_tuple_cost = 1e6',
      ])
        await client.query(`SET ${setting}`);
      const { rows } = await client.query<{ result: { status: string; codes: number[] } }>(
        'SELECT evently_reserve_batch($1::uuid, $2::uuid[], $3::uuid[], $4::int[]) AS result',
        [tt, buyers.map(() => randomUUID()), buyers.map((b) => b.userId), buyers.map(() => 1)],
      );
      expect(rows[0]?.result).toMatchObject({ status: 'ok', codes: [0, 0, 0] });
    } finally {
      await client.end();
    }
    const counterReads = plans.filter((plan) => /Scan( using \S+)? on user_event_tickets/.test(plan));
    // The lock of the buyers' counters and their update, at least.
    expect(counterReads.length).toBeGreaterThanOrEqual(2);
    for (const plan of counterReads) expect(plan).not.toMatch(/Seq Scan on user_event_tickets/);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  const counters = async (eventId: string, userIds: string[]) => {
    const rows = await t.app.ctx.dbHandle.db
      .selectFrom('userEventTickets')
      .select(['userId', 'quantity'])
      .where('eventId', '=', eventId)
      .where('userId', 'in', userIds)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.userId, r.quantity]));
  };

  it('creates a first-time buyer’s counter with what it granted, and none for a buyer turned away', async () => {
    const event = await createEvent(t.app, admin, {
      maxTicketsPerUser: 4,
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 4 }],
    });
    const tt = event.ticketTypes[0].id;
    const [returning, first, late] = (await bulkUsers(t.app, 3)).map((u) => u.userId);
    await batch(tt, [{ id: randomUUID(), userId: returning as string, quantity: 1 }]);
    const result = await batch(tt, [
      { id: randomUUID(), userId: first as string, quantity: 1 },
      { id: randomUUID(), userId: returning as string, quantity: 1 },
      { id: randomUUID(), userId: first as string, quantity: 1 },
      { id: randomUUID(), userId: late as string, quantity: 1 },
    ]);
    expect(result.status === 'ok' && result.results).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { code: 'SOLD_OUT' },
    ]);
    expect(await counters(event.id, [returning, first, late] as string[])).toEqual({
      [returning as string]: 2,
      [first as string]: 2,
    });
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  /**
   * Another transaction holds a first-time buyer's new counter (that buyer's hold on the event's
   * other ticket type, not yet committed) while a batch decides for the same buyer; `run` starts
   * that batch, and the other transaction commits once the batch waits on the counter's key.
   */
  async function raceOnNewCounter(
    run: (ticketTypeId: string, buyer: Session, other: Session, eventId: string) => Promise<unknown>,
  ) {
    const event = await createEvent(t.app, admin, {
      maxTicketsPerUser: 2,
      ticketTypes: [
        { name: 'Early', priceCents: 100, capacity: 10 },
        { name: 'Late', priceCents: 200, capacity: 10 },
      ],
    });
    const [early, late] = event.ticketTypes.map((tt: { id: string }) => tt.id);
    const [buyer, other] = (await bulkUsers(t.app, 2)) as [Session, Session];
    let outcome: Promise<{ value: unknown } | { error: unknown }> | undefined;
    await t.app.ctx.dbHandle.db.transaction().execute(async (trx) => {
      const held = await repo().reserveBatch(trx, late, [
        { id: randomUUID(), userId: buyer.userId, quantity: 2 },
      ]);
      expect(held.status === 'ok' && held.results).toEqual([{ ok: true }]);
      outcome = run(early, buyer, other, event.id).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      // The batch has read no counter for the buyer and now waits on the uncommitted one's key.
      // (Activity is read afresh each time: within a transaction it is a snapshot.)
      const waitingBatches = async () => {
        await sql`SELECT pg_stat_clear_snapshot()`.execute(trx);
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE '%evently_reserve_batch%'`.execute(trx);
        return rows[0]?.n ?? 0;
      };
      await expect.poll(waitingBatches, { timeout: 10_000, interval: 10 }).toBeGreaterThan(0);
    });
    return { event, early, buyer, other, outcome: await outcome };
  }

  it('fails with a serialization failure and writes nothing when a new buyer’s counter appears meanwhile', async () => {
    const { event, early, buyer, other, outcome } = await raceOnNewCounter((tt, buyer, other) =>
      batch(tt, [
        { id: randomUUID(), userId: other.userId, quantity: 1 },
        { id: randomUUID(), userId: buyer.userId, quantity: 1 },
      ]),
    );
    expect(outcome).toMatchObject({ error: { code: '40001' } });
    const earlyType = await t.app.ctx.dbHandle.db
      .selectFrom('ticketTypes')
      .select('available')
      .where('id', '=', early)
      .executeTakeFirstOrThrow();
    expect(earlyType.available).toBe(10);
    expect(await counters(event.id, [buyer.userId, other.userId])).toEqual({ [buyer.userId]: 2 });
    // Run again, the batch finds the counter: the buyer is at the limit, the other buyer is served.
    const again = await batch(early, [
      { id: randomUUID(), userId: other.userId, quantity: 1 },
      { id: randomUUID(), userId: buyer.userId, quantity: 1 },
    ]);
    expect(again.status === 'ok' && again.results).toEqual([
      { ok: true },
      { code: 'TICKET_LIMIT_EXCEEDED', limit: 2, alreadyHeld: 2 },
    ]);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('answers a buyer caught in that race from a rerun, not with 503', async () => {
    const { event, outcome } = await raceOnNewCounter((tt, buyer, _other, eventId) =>
      reserve(t.app, buyer, { eventId, ticketTypeId: tt, quantity: 1 }),
    );
    const res = (outcome as { value: { statusCode: number; json(): { error: { code: string } } } }).value;
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('TICKET_LIMIT_EXCEEDED');
    await expectInventoryConsistent(t.app, admin, event.id);
  });
});
