import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore, requestHash } from '../../src/modules/bookings/idempotency.js';
import { TestPaymentProvider } from '../../src/modules/bookings/payments.js';
import {
  adminSession,
  auth,
  createEvent,
  expectInventoryConsistent,
  registerUser,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

/** A payment provider whose charges wait until release(); it records their provider keys. */
function gatedProvider() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const providerKeys: string[] = [];
  class GatedProvider extends TestPaymentProvider {
    override async charge(input: Parameters<TestPaymentProvider['charge']>[0]) {
      providerKeys.push(input.idempotencyKey);
      await gate;
      return super.charge(input);
    }
  }
  return { provider: new GatedProvider(), release: () => release(), providerKeys };
}

describe('Idempotency-Key on booking POSTs', () => {
  let t: TestContext;
  let admin: Session;
  let buyer: Session;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminSession(t.app);
    buyer = await registerUser(t.app);
  });
  afterAll(() => t.close());
  /** An event with one ticket type of five seats at 5.00. */
  const fiveSeats = () =>
    createEvent(t.app, admin, { ticketTypes: [{ name: 'GA', priceCents: 500, capacity: 5 }] });

  it('a replay with the same key and body returns the original status and body, reserving nothing more', async () => {
    const event = await createEvent(t.app, admin);
    const key = randomUUID();
    const first = await reserve(t.app, buyer, { eventId: event.id, quantity: 2 }, { 'idempotency-key': key });
    const replay = await reserve(
      t.app,
      buyer,
      { quantity: 2, eventId: event.id },
      { 'idempotency-key': key },
    );
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0].held).toBe(2);
  });

  it('the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const event = await createEvent(t.app, admin);
    const key = randomUUID();
    await reserve(t.app, buyer, { eventId: event.id, quantity: 1 }, { 'idempotency-key': key });
    const other = await reserve(t.app, buyer, { eventId: event.id, quantity: 3 }, { 'idempotency-key': key });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('keys are scoped per user: another user may use the same key', async () => {
    const event = await createEvent(t.app, admin);
    const key = randomUUID();
    const someoneElse = await registerUser(t.app);
    const a = await reserve(t.app, buyer, { eventId: event.id, quantity: 1 }, { 'idempotency-key': key });
    const b = await reserve(
      t.app,
      someoneElse,
      { eventId: event.id, quantity: 1 },
      { 'idempotency-key': key },
    );
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json().id).not.toBe(a.json().id);
  });

  it('concurrent replays: one booking is made; the others see 409 IDEMPOTENCY_IN_PROGRESS or the replay', async () => {
    const event = await createEvent(t.app, admin);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        reserve(t.app, buyer, { eventId: event.id, quantity: 1 }, { 'idempotency-key': key }),
      ),
    );
    const created = results.filter((r) => r.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1);
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode).toBe(409);
      expect(r.json().error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0].held).toBe(1);
  });

  it('replays errors too: a sold-out answer stays the answer for that key', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 1 }],
    });
    const other = await registerUser(t.app);
    await reserve(t.app, other, { eventId: event.id, quantity: 1 });
    const key = randomUUID();
    const first = await reserve(t.app, buyer, { eventId: event.id, quantity: 1 }, { 'idempotency-key': key });
    expect(first.json().error.code).toBe('SOLD_OUT');
    const replay = await reserve(
      t.app,
      buyer,
      { eventId: event.id, quantity: 1 },
      { 'idempotency-key': key },
    );
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toEqual(first.json());
  });

  it('confirm and cancel honour keys: a replayed confirm charges once and returns the same tickets', async () => {
    const event = await createEvent(t.app, admin);
    const hold = (await reserve(t.app, buyer, { eventId: event.id, quantity: 2 })).json();
    const key = randomUUID();
    const post = (url: string, payload?: object) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...auth(buyer), 'idempotency-key': key },
        ...(payload ? { payload } : {}),
      });
    const first = await post(`/api/v1/bookings/${hold.id}/confirm`, { paymentToken: 'tok_visa' });
    const again = await post(`/api/v1/bookings/${hold.id}/confirm`, { paymentToken: 'tok_visa' });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.json().tickets).toEqual(first.json().tickets);
    const charges = await t.db.db
      .selectFrom('payments')
      .select('id')
      .where('bookingId', '=', hold.id)
      .execute();
    expect(charges).toHaveLength(1);
    // The same key on another endpoint is another request: 422.
    expect((await post(`/api/v1/bookings/${hold.id}/cancel`)).statusCode).toBe(422);
  });

  it('a key left in progress by a crashed process can be retried once its lease runs out', async () => {
    const event = await createEvent(t.app, admin);
    const key = randomUUID();
    const body = { eventId: event.id, quantity: 1 };
    // What a process that died mid-request leaves behind: a claim and no booking.
    await sql`INSERT INTO idempotency_keys (user_id, key, request_hash, state, locked_until, expires_at)
              VALUES (${buyer.userId}, ${key}, ${requestHash('POST', '/api/v1/bookings', body)}, 'in_progress',
                      now() + interval '30 seconds', now() + interval '1 day')`.execute(t.db.db);
    const blocked = await reserve(t.app, buyer, body, { 'idempotency-key': key });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    await sql`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = ${key}`.execute(
      t.db.db,
    );
    const retried = await reserve(t.app, buyer, body, { 'idempotency-key': key });
    expect(retried.statusCode).toBe(201);
  });

  it('a one-step booking retried after its process died mid-payment pays for the same hold, once', async () => {
    // Process A dies while the provider is answering: its charge hangs until released.
    const { provider, release, providerKeys } = gatedProvider();
    const a = await createTestApp({ databaseUrl: t.url, payments: provider });
    try {
      const event = await fiveSeats();
      const key = randomUUID();
      const body = { eventId: event.id, quantity: 2, paymentToken: 'tok_visa' };
      const first = reserve(a.app, buyer, body, { 'idempotency-key': key });
      const linkedHold = async () =>
        (
          await t.db.db
            .selectFrom('idempotencyKeys')
            .select('bookingId')
            .where('userId', '=', buyer.userId)
            .where('key', '=', key)
            .executeTakeFirst()
        )?.bookingId;
      // The hold and its link to the key commit together, before the payment starts.
      await expect.poll(linkedHold).toBeTruthy();
      const hold = await linkedHold();
      // A is gone (as after kill -9): its lease runs out and the client retries on another process.
      await sql`UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
                 WHERE user_id = ${buyer.userId} AND key = ${key}`.execute(t.db.db);
      const retry = await reserve(t.app, buyer, body, { 'idempotency-key': key });
      expect(retry.statusCode).toBe(201);
      expect(retry.json()).toMatchObject({ id: hold, status: 'confirmed', quantity: 2 });
      const afterRetry = await expectInventoryConsistent(t.app, admin, event.id);
      expect(afterRetry.ticketTypes[0]).toMatchObject({ available: 3, held: 0, confirmed: 2 });

      // A's late payment changes nothing: the booking stays confirmed once, A's charge is refunded
      // (a real provider would have returned the same charge for the same key), and the key keeps
      // the retry's answer.
      release();
      expect((await first).statusCode).toBe(409);
      expect(providerKeys).toEqual([`idempotency:${buyer.userId}:${key}:tok_visa`]);
      const replay = await reserve(t.app, buyer, body, { 'idempotency-key': key });
      expect(replay.json()).toEqual(retry.json());
      const final = await expectInventoryConsistent(t.app, admin, event.id);
      expect(final.ticketTypes[0]).toMatchObject({ available: 3, held: 0, confirmed: 2 });
      const ledger = await t.db.db
        .selectFrom('payments')
        .select(['kind', 'amountCents'])
        .where('bookingId', '=', hold as string)
        .execute();
      const net = ledger.reduce((sum, p) => sum + (p.kind === 'charge' ? p.amountCents : -p.amountCents), 0);
      expect(net).toBe(1000);
    } finally {
      release();
      await a.close();
    }
  });
  it('a live owner keeps its key past one lease: a retry meanwhile is 409, not a second run', async () => {
    // Process A works longer than its lease (1 s here) on a slow payment; it stays alive.
    const { provider, release, providerKeys } = gatedProvider();
    const a = await createTestApp({
      databaseUrl: t.url,
      payments: provider,
      env: { IDEMPOTENCY_LEASE_SECONDS: '1' },
    });
    try {
      const event = await fiveSeats();
      const key = randomUUID();
      const body = { eventId: event.id, quantity: 1, paymentToken: 'tok_visa' };
      const first = reserve(a.app, buyer, body, { 'idempotency-key': key });
      await expect.poll(() => providerKeys.length).toBe(1);
      // Two and a half leases later the key is still A's: A renewed it while it waited.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const lease = await sql<{ live: boolean }>`
        SELECT locked_until > now() AS live FROM idempotency_keys
         WHERE user_id = ${buyer.userId} AND key = ${key}`.execute(t.db.db);
      expect(lease.rows[0]?.live).toBe(true);
      const retry = await reserve(t.app, buyer, body, { 'idempotency-key': key });
      expect(retry.statusCode).toBe(409);
      expect(retry.json().error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(providerKeys).toHaveLength(1);

      release();
      const done = await first;
      expect(done.statusCode).toBe(201);
      expect(done.json()).toMatchObject({ status: 'confirmed', quantity: 1 });
      const replay = await reserve(t.app, buyer, body, { 'idempotency-key': key });
      expect(replay.statusCode).toBe(201);
      expect(replay.json()).toEqual(done.json());
      const final = await expectInventoryConsistent(t.app, admin, event.id);
      expect(final.ticketTypes[0]).toMatchObject({ available: 4, held: 0, confirmed: 1 });
    } finally {
      release();
      await a.close();
    }
  });
  it("a run that lost its key to a retry writes nothing: one hold, the retry's answer", async () => {
    // Process A claims the key, then waits on the ticket type's row lock for longer than its
    // lease (a stalled process, alive); the client's retry takes the key over on another process
    // and waits too. When the lock goes, both batches run.
    const a = await createTestApp({ databaseUrl: t.url });
    const locker = await t.db.pool.connect();
    try {
      const event = await fiveSeats();
      const ticketTypeId = event.ticketTypes[0].id as string;
      const waiting = async () =>
        (
          await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query LIKE '%evently_reserve_batch%'`.execute(t.db.db)
        ).rows[0]?.n;
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM ticket_types WHERE id = $1 FOR UPDATE', [ticketTypeId]);

      const key = randomUUID();
      const body = { eventId: event.id, quantity: 2 };
      const first = reserve(a.app, buyer, body, { 'idempotency-key': key });
      await expect.poll(waiting).toBe(1);
      await sql`UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
                 WHERE user_id = ${buyer.userId} AND key = ${key}`.execute(t.db.db);
      const retry = reserve(t.app, buyer, body, { 'idempotency-key': key });
      await expect.poll(waiting).toBe(2);
      await locker.query('COMMIT');

      const [lost, won] = await Promise.all([first, retry]);
      expect(won.statusCode).toBe(201);
      expect(lost.statusCode).toBe(409);
      expect(lost.json().error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      const holds = await t.db.db
        .selectFrom('bookings')
        .select('id')
        .where('userId', '=', buyer.userId)
        .where('eventId', '=', event.id)
        .execute();
      expect(holds.map((h) => h.id)).toEqual([won.json().id]);
      const replay = await reserve(t.app, buyer, body, { 'idempotency-key': key });
      expect(replay.json()).toEqual(won.json());
      const inventory = await expectInventoryConsistent(t.app, admin, event.id);
      expect(inventory.ticketTypes[0]).toMatchObject({ available: 3, held: 2 });
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      locker.release();
      await a.close();
    }
  });
  it("only the key's owner releases or completes it; a run that lost it changes nothing", async () => {
    const store = new IdempotencyStore(t.db.db);
    const user = { userId: buyer.userId, key: randomUUID() };
    const hash = requestHash('POST', '/api/v1/bookings', { eventId: randomUUID(), quantity: 1 });
    const first = await store.claim(user, hash);
    await sql`UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
               WHERE user_id = ${user.userId} AND key = ${user.key}`.execute(t.db.db);
    const second = await store.claim(user, hash);
    if (first.kind !== 'claimed' || second.kind !== 'claimed') throw new Error('both runs claim the key');
    expect(second.scope.owner).not.toBe(first.scope.owner);
    const row = () =>
      t.db.db
        .selectFrom('idempotencyKeys')
        .select(['state', 'responseStatus'])
        .where('userId', '=', user.userId)
        .where('key', '=', user.key)
        .executeTakeFirst();
    await store.release(first.scope);
    await store.complete(first.scope, 409, { lost: true });
    expect(await row()).toEqual({ state: 'in_progress', responseStatus: null });
    await store.complete(second.scope, 201, { won: true });
    expect(await row()).toEqual({ state: 'completed', responseStatus: 201 });
  });
});
