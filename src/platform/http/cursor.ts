// Opaque keyset cursors for lists ordered by (startsAt, id): base64url JSON of the last row's key.
import { DomainError, isUuid } from './errors.js';

export interface StartKey {
  startsAt: string;
  id: string;
}

const encode = (row: { startsAt: Date; id: string }): string =>
  Buffer.from(JSON.stringify([row.startsAt.toISOString(), row.id])).toString('base64url');

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
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [startsAt, id] = parsed as unknown[];
  if (typeof startsAt !== 'string' || Number.isNaN(Date.parse(startsAt))) throw invalid();
  if (typeof id !== 'string' || !isUuid(id)) throw invalid();
  return { startsAt, id };
}

/** Splits a `limit + 1` fetch into the page and the cursor of the next page (null on the last). */
export function keysetPage<T extends { startsAt: Date; id: string }>(
  rows: T[],
  limit: number,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? encode(last) : null };
}
