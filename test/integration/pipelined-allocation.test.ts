// Pipelined allocation (docs/performance.md, "Pipelined allocation"): a lane's batches go to the
// database on one pipelined connection while the one before still runs. They must run one after
// the other in the order they were sent, a lost connection must cost only retries or clean 503s,
// and the inventory must stay exact.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BookingsRepository } from '../../src/modules/bookings/bookings.repository.js';
import { warmAllocationConnections } from '../../src/modules/bookings/warm-up.js';
import { PipelinedConnections } from '../../src/platform/db/pipelined.js';
import {
  adminSession,
  countBy,
  createEvent,
  expectInventoryConsistent,
  reserve,
  type Session,
} from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { adminQuery } from '../helpers/postgres-server.js';
import { bulkUsers } from '../helpers/users.js';

/** The allocation connections of this test's database, as PostgreSQL lists them. */
const ALLOCATION_BACKENDS = `FROM pg_stat_activity
  WHERE datname = current_database() AND application_name = 'evently-allocation'`;

async function allocationBackends(url: string): Promise<number[]> {
  const rows = await adminQuery<{ pid: number }>(url, `SELECT pid ${ALLOCATION_BACKENDS}`);
  return rows.map((r) => r.pid);
}

/** Allocation backends of this test's database waiting for a lock. */
async function lockWaiters(url: string): Promise<number> {
  const rows = await adminQuery<{ n: number }>(
    url,
    `SELECT count(*)::int AS n ${ALLOCATION_BACKENDS} AND wait_event_type = 'Lock'`,
  );
  return rows[0]?.n ?? 0;
}

async function terminate(url: string, pids: number[]): Promise<void> {
  // Integers PostgreSQL gave us: safe to write into the statement.
  await adminQuery(url, `SELECT pg_terminate_backend(pid) FROM unnest('{${pids.join(',')}}'::int[]) AS pid`);
}

describe('pipelined allocation', () => {
  let t: TestContext;
  let admin: Session;
  beforeAll(async () => {
    // Small batches, so a rush makes many of them and they queue two deep on the connection.
    t = await createTestApp({
      env: { BOOKING_BATCH_SIZE: '5', BOOKING_PIPELINES: '2', BOOKING_PIPELINE_DEPTH: '2' },
    });
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  it('runs the batches written on one connection one after the other, in the order they were sent', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: 3 }],
    });
    const [buyerA, buyerB, buyerC, buyerD, buyerE] = await bulkUsers(t.app, 5);
    const lease = t.app.ctx.pipelines.lease();
    try {
      const repo = new BookingsRepository(t.db.db);
      const batch = (buyers: (Session | undefined)[]) =>
        repo.reserveBatch(
          lease.db,
          event.ticketTypes[0].id,
          buyers.map((b) => ({ id: randomUUID(), userId: b?.userId as string, quantity: 1 })),
        );
      // All three are on the wire before the first is answered.
      const results = await Promise.all([batch([buyerA, buyerB]), batch([buyerC, buyerD]), batch([buyerE])]);
      const decisions = results.map((r) => (r.status === 'ok' ? r.results : r.status));
      expect(decisions).toEqual([
        [{ ok: true }, { ok: true }],
        [{ ok: true }, { code: 'SOLD_OUT' }],
        [{ code: 'SOLD_OUT' }],
      ]);
    } finally {
      lease.release();
    }
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0]).toMatchObject({ available: 0, held: 3 });
  });

  it('gives lanes of different ticket types different connections while there are enough', () => {
    const pipelines = new PipelinedConnections(t.url, 2);
    const first = pipelines.lease();
    const second = pipelines.lease();
    const third = pipelines.lease();
    expect(second.db).not.toBe(first.db);
    expect([first.db, second.db]).toContain(third.db);
    first.release();
    // The connection freed by the first lane is the least used one again.
    expect(pipelines.lease().db).toBe(first.db);
  });

  it('sells exactly the capacity when a rush runs through many pipelined batches', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: 60 }],
    });
    const buyers = await bulkUsers(t.app, 300);
    const batchesBefore = t.app.ctx.bookings.laneStats().batches;
    const results = await Promise.all(
      buyers.map((b) => reserve(t.app, b, { eventId: event.id, quantity: 1 })),
    );
    expect(
      countBy(results.map((r) => `${r.statusCode} ${r.statusCode === 201 ? '' : r.json().error.code}`)),
    ).toEqual({
      '201 ': 60,
      '409 SOLD_OUT': 240,
    });
    // Batches of five: the rush went to the database in many of them.
    expect(t.app.ctx.bookings.laneStats().batches - batchesBefore).toBeGreaterThanOrEqual(12);
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0]).toMatchObject({ available: 0, held: 60 });
  });

  it('a pipelined connection lost in the middle of a rush costs retries or clean 503s, never a half-written batch', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: 100 }],
    });
    const buyers = await bulkUsers(t.app, 400);
    // Connected and warm, as at start-up.
    const quiet = { info: () => {}, warn: () => {} };
    await warmAllocationConnections(
      t.db.db,
      0,
      quiet as unknown as Parameters<typeof warmAllocationConnections>[2],
      t.app.ctx.pipelines.all(),
    );
    const pids = await allocationBackends(t.url);
    expect(pids.length).toBeGreaterThan(0);
    // Another transaction holds the ticket type's row, so the rush's first batches stop inside the
    // allocation function, on the wire, until the kill: a kill timed against batches that run for
    // a millisecond or two could find them all answered already (it did once in CI).
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM ticket_types WHERE id = $1 FOR UPDATE', [event.ticketTypes[0].id]);
    const warn = vi.spyOn(t.app.log, 'warn');
    const rush = Promise.all(buyers.map((b) => reserve(t.app, b, { eventId: event.id, quantity: 1 })));
    try {
      for (let waited = 0; (await lockWaiters(t.url)) === 0; waited += 5) {
        if (waited > 10_000) throw new Error('no allocation batch came to wait on the ticket type');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await terminate(t.url, pids);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const results = await rush;
    // The kill hit batches in flight: they failed whole and their requests were run again.
    const failures = warn.mock.calls.filter((call) => call[1] === 'allocation batch failed; retrying');
    warn.mockRestore();
    expect(failures.length).toBeGreaterThan(0);
    const outcomes = countBy(
      results.map((r) => `${r.statusCode} ${r.statusCode === 201 ? '' : r.json().error.code}`),
    );
    for (const outcome of Object.keys(outcomes))
      expect(['201 ', '409 SOLD_OUT', '503 SERVICE_UNAVAILABLE']).toContain(outcome);
    for (const r of results.filter((r) => r.statusCode === 503)) expect(r.headers['retry-after']).toBe('1');
    // Every 201 is a hold in the database, and nothing else is.
    const granted = outcomes['201 '] ?? 0;
    const report = await expectInventoryConsistent(t.app, admin, event.id);
    expect(report.ticketTypes[0]?.held).toBe(granted);
    expect(report.ticketTypes[0]?.available).toBe(100 - granted);

    // The lane connects again: the buyers turned away can still book what is left.
    const late = await Promise.all(
      buyers
        .filter((_, i) => results[i]?.statusCode === 503)
        .slice(0, 100 - granted)
        .map((b) => reserve(t.app, b, { eventId: event.id, quantity: 1 })),
    );
    for (const r of late) expect(r.statusCode, r.body).toBe(201);
    await expectInventoryConsistent(t.app, admin, event.id);
  });

  it('warms the pipelined connections at start-up with the pool', async () => {
    const pipelines = new PipelinedConnections(t.url, 2);
    try {
      const before = (await allocationBackends(t.url)).length;
      const infos: unknown[][] = [];
      const warnings: unknown[][] = [];
      const log = { info: (...a: unknown[]) => infos.push(a), warn: (...a: unknown[]) => warnings.push(a) };
      await warmAllocationConnections(
        t.db.db,
        0,
        log as unknown as Parameters<typeof warmAllocationConnections>[2],
        pipelines.all(),
      );
      expect(warnings).toEqual([]);
      expect(infos[0]?.[0]).toMatchObject({ connections: 0, pipelined: 2 });
      // Both are connected now: the first batch of a lane does not pay for connecting.
      expect((await allocationBackends(t.url)).length - before).toBe(2);
    } finally {
      await pipelines.close();
    }
  });
});
