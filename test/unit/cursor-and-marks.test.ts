import { describe, expect, it } from 'vitest';
import { SoldOutMarks } from '../../src/modules/bookings/sold-out.js';
import { decodeCursor, encodeCursor } from '../../src/platform/http/cursor.js';

describe('cursors', () => {
  it('round-trip the sort key', () => {
    const cursor = encodeCursor(['2027-01-01T00:00:00.000Z', 'abc']);
    expect(decodeCursor(cursor, ['date', 'string'])).toEqual(['2027-01-01T00:00:00.000Z', 'abc']);
  });

  it('reject tampered or foreign cursors with VALIDATION_FAILED', () => {
    for (const bad of [
      '%%%',
      encodeCursor([1, 2]),
      encodeCursor(['not a date', 'x']),
      Buffer.from('{"a":1}').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad, ['date', 'string'])).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});

describe('sold-out marks', () => {
  it('expire after one second so sales can never stay closed longer than that', () => {
    const marks = new SoldOutMarks();
    marks.mark('t', 1000);
    expect(marks.isSoldOut('t', 1500)).toBe(true);
    expect(marks.isSoldOut('t', 2000)).toBe(false);
  });

  it('reopen at once when seats return', () => {
    const marks = new SoldOutMarks();
    marks.mark('t');
    marks.reopen(['t']);
    expect(marks.isSoldOut('t')).toBe(false);
  });
});
