// Opaque keyset cursors for lists ordered by (startsAt, id): base64url JSON of the last row's key,
// and for lists split at an instant (a user's bookings, upcoming then past) that instant too, so
// every page splits where the first one did.
import { DomainError, isUuid } from './errors.js';

export interface StartKey {
  startsAt: string;
  id: string;
  asOf?: string;
}

const encode = (row: { startsAt: Date; id: string }, asOf?: Date): string =>
  Buffer.from(
    JSON.stringify(
      asOf ? [row.startsAt.toISOString(), row.id, asOf.toISOString()] : [row.startsAt.toISOString(), row.id],
    ),
  ).toString('base64url');

const isDate = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));

export function decodeStartKey(cursor: string): StartKey {
  const invalid = () =>
    new DomainError('VALIDATION_FAILED', 'cursor is invalid', {
      fields: [{ field: 'cursor', message: 'invalid cursor' }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || parsed.length > 3) throw invalid();
  const [startsAt, id, asOf] = parsed as unknown[];
  if (!isDate(startsAt)) throw invalid();
  if (typeof id !== 'string' || !isUuid(id)) throw invalid();
  if (parsed.length === 2) return { startsAt, id };
  if (!isDate(asOf)) throw invalid();
  return { startsAt, id, asOf };
}

/** Splits a `limit + 1` fetch into the page and the cursor of the next page (null on the last). */
export function keysetPage<T extends { startsAt: Date; id: string }>(
  rows: T[],
  limit: number,
  asOf?: Date,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? encode(last, asOf) : null };
}
