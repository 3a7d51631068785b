// Opaque keyset cursors: base64url JSON of the sort key of the last row of a page.
import { DomainError } from './errors.js';

export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(
  cursor: string,
  shape: readonly ('string' | 'number' | 'date')[],
): (string | number)[] {
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
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw invalid();
  return parsed.map((value, i) => {
    const kind = shape[i];
    if (kind === 'number' && typeof value === 'number' && Number.isFinite(value)) return value;
    if (kind === 'string' && typeof value === 'string') return value;
    if (kind === 'date' && typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
    throw invalid();
  });
}
