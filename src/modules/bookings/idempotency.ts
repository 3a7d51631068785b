// Idempotency-Key handling: a key is claimed (in_progress, with a lease) before the work, and its
// final response is written in the same transaction as the booking change it describes.
import { createHash, randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import { DomainError } from '../../platform/http/errors.js';

const DEFAULT_LEASE_SECONDS = 10;
const RETENTION_HOURS = 24;

/** A claimed key: the user's key and the token of this claim, which every later write names. */
export interface IdempotencyScope {
  userId: string;
  key: string;
  owner: string;
}

export type ClaimResult =
  /** resumeBookingId: the hold a previous owner of the key made before it died (one-step bookings). */
  | { kind: 'claimed'; scope: IdempotencyScope; resumeBookingId?: string }
  | { kind: 'replay'; status: number; body: unknown };

/**
 * The allocation batch found that a key it was to complete had been taken over by another run of
 * the same request (this run's lease lapsed while it waited): the batch rolls back, and the
 * request, run alone, gets this. The run that holds the key will answer; a retry replays it.
 */
export const keyTakenOver = () =>
  new DomainError(
    'IDEMPOTENCY_IN_PROGRESS',
    'Another run of this request holds its Idempotency-Key now; retry to get its answer',
    undefined,
    1,
  );

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export const requestHash = (method: string, path: string, body: unknown): string =>
  createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(canonical(body ?? null))}`)
    .digest('hex');

export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly leaseSeconds = DEFAULT_LEASE_SECONDS,
  ) {}

  /** How often a live owner renews its lease: three renewals fit in one lease. */
  get renewEveryMs(): number {
    return (this.leaseSeconds * 1000) / 3;
  }

  /**
   * Claims the key for this request. A completed key replays its response; a key whose owner is
   * still working is 409; a different request under the same key is 422. A claim whose lease ran
   * out (its process died before finishing) can be taken over by the same request.
   */
  async claim(user: { userId: string; key: string }, hash: string): Promise<ClaimResult> {
    const scope: IdempotencyScope = { ...user, owner: randomUUID() };
    const claimed = await sql<{ bookingId: string | null }>`
      INSERT INTO idempotency_keys (user_id, key, request_hash, state, owner, locked_until, expires_at)
      VALUES (${scope.userId}, ${scope.key}, ${hash}, 'in_progress', ${scope.owner},
              now() + make_interval(secs => ${this.leaseSeconds}), now() + make_interval(hours => ${RETENTION_HOURS}))
      ON CONFLICT (user_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, state = 'in_progress', owner = EXCLUDED.owner,
            response_status = NULL, response_body = NULL,
            locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
            -- A takeover keeps the hold its dead owner made; a key reused after retention does not.
            booking_id = CASE WHEN idempotency_keys.expires_at < now() THEN NULL ELSE idempotency_keys.booking_id END
        WHERE idempotency_keys.expires_at < now()
           OR (idempotency_keys.state = 'in_progress' AND idempotency_keys.locked_until < now()
               AND idempotency_keys.request_hash = EXCLUDED.request_hash)
      RETURNING booking_id AS "bookingId"`.execute(this.db);
    const won = claimed.rows[0];
    if (won)
      return won.bookingId
        ? { kind: 'claimed', scope, resumeBookingId: won.bookingId }
        : { kind: 'claimed', scope };

    const existing = await this.db
      .selectFrom('idempotencyKeys')
      .select(['requestHash', 'state', 'responseStatus', 'responseBody'])
      .where('userId', '=', scope.userId)
      .where('key', '=', scope.key)
      .executeTakeFirst();
    if (!existing) return this.claim(user, hash); // deleted between the two statements
    if (existing.requestHash !== hash) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used with a different request',
      );
    }
    if (existing.state === 'in_progress' || existing.responseStatus === null) {
      throw new DomainError(
        'IDEMPOTENCY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed',
        undefined,
        1,
      );
    }
    return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
  }

  /**
   * Extends the lease of a key this process is still working on. Without it, an owner that took
   * longer than one lease (a slow payment provider) would see a retry take the key over and run
   * the same request a second time beside it.
   */
  async renew(scope: IdempotencyScope): Promise<void> {
    await sql`
      UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => ${this.leaseSeconds})
       WHERE user_id = ${scope.userId} AND key = ${scope.key}
         AND state = 'in_progress' AND owner = ${scope.owner}`.execute(this.db);
  }

  /**
   * Stores the final response; pass the transaction of the state change it belongs to.
   *
   * By default only the key's owner completes it: a run that lost its key (its lease lapsed and a
   * retry took it over) leaves the answer to that retry. `firstAnswer` is for changes that a
   * compare-and-set already makes happen once whoever runs them (confirm, cancel): there the run
   * that made the change completes the key even after losing it, since the other run can only
   * fail on the same booking, and its answer is the one worth replaying. Either way a stored
   * answer is never overwritten.
   */
  async complete(
    scope: IdempotencyScope,
    status: number,
    body: unknown,
    executor: Db | Transaction<Database> = this.db,
    { firstAnswer = false } = {},
  ): Promise<void> {
    let update = executor
      .updateTable('idempotencyKeys')
      .set({ state: 'completed', responseStatus: status, responseBody: JSON.stringify(body) })
      .where('userId', '=', scope.userId)
      .where('key', '=', scope.key)
      .where('state', '=', 'in_progress');
    if (!firstAnswer) update = update.where('owner', '=', scope.owner);
    await update.execute();
  }

  /**
   * Links one-step bookings' holds to their keys, in the transaction that creates the holds.
   * Returns how many keys this run still owned (fewer than given: one was taken over).
   */
  async linkHolds(
    trx: Transaction<Database>,
    entries: { scope: IdempotencyScope; bookingId: string }[],
  ): Promise<number> {
    if (entries.length === 0) return 0;
    const result = await sql`
      UPDATE idempotency_keys k SET booking_id = v.booking_id
        FROM unnest(${entries.map((e) => e.scope.userId)}::uuid[], ${entries.map((e) => e.scope.key)}::text[],
                    ${entries.map((e) => e.scope.owner)}::uuid[], ${entries.map((e) => e.bookingId)}::uuid[])
             AS v(user_id, key, owner, booking_id)
       WHERE k.user_id = v.user_id AND k.key = v.key AND k.state = 'in_progress' AND k.owner = v.owner`.execute(
      trx,
    );
    return Number(result.numAffectedRows ?? 0);
  }

  /**
   * Several completions in one statement (one allocation batch), each by its owner. Returns how
   * many keys this run still owned (fewer than given: one was taken over).
   */
  async completeMany(
    trx: Transaction<Database>,
    entries: { scope: IdempotencyScope; status: number; body: unknown }[],
  ): Promise<number> {
    if (entries.length === 0) return 0;
    const result = await sql`
      UPDATE idempotency_keys k SET state = 'completed', response_status = v.status, response_body = v.body::jsonb
        FROM unnest(${entries.map((e) => e.scope.userId)}::uuid[], ${entries.map((e) => e.scope.key)}::text[],
                    ${entries.map((e) => e.scope.owner)}::uuid[], ${entries.map((e) => e.status)}::int[],
                    ${entries.map((e) => JSON.stringify(e.body))}::text[])
             AS v(user_id, key, owner, status, body)
       WHERE k.user_id = v.user_id AND k.key = v.key AND k.state = 'in_progress' AND k.owner = v.owner`.execute(
      trx,
    );
    return Number(result.numAffectedRows ?? 0);
  }

  /**
   * Gives the key up after a failure the client should retry (5xx), so the retry can run; only
   * its owner can, so a run that lost the key cannot delete the key of the retry now running.
   */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.db
      .deleteFrom('idempotencyKeys')
      .where('userId', '=', scope.userId)
      .where('key', '=', scope.key)
      .where('state', '=', 'in_progress')
      .where('owner', '=', scope.owner)
      .execute();
  }

  async purgeExpired(): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotencyKeys')
      .where('expiresAt', '<', sql<Date>`now()`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
