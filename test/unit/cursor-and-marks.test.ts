import { describe, expect, it } from 'vitest';
import { SoldOutMarks } from '../../src/modules/bookings/sold-out.js';
import { decodeStartKey, keysetPage } from '../../src/platform/http/cursor.js';

const ID = '0b0f9a5e-1d2c-4e3f-8a9b-0c1d2e3f4a5b';
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('round-trip the sort key of the last row of a full page', () => {
    const rows = [
      { startsAt: new Date('2026-12-31T00:00:00.000Z'), id: 'a' },
      { startsAt: new Date('2027-01-01T00:00:00.000Z'), id: ID },
      { startsAt: new Date('2027-01-02T00:00:00.000Z'), id: 'c' },
    ];
    const { page, nextCursor } = keysetPage(rows, 2);
    expect(page).toEqual(rows.slice(0, 2));
    expect(decodeStartKey(nextCursor as string)).toEqual({ startsAt: '2027-01-01T00:00:00.000Z', id: ID });
    expect(keysetPage(rows, 3).nextCursor).toBeNull();
    const asOf = new Date('2026-11-21T12:00:00.000Z');
    expect(decodeStartKey(keysetPage(rows, 2, asOf).nextCursor as string)).toEqual({
      startsAt: '2027-01-01T00:00:00.000Z',
      id: ID,
      asOf: '2026-11-21T12:00:00.000Z',
    });
  });

  it('reject tampered or foreign cursors with VALIDATION_FAILED', () => {
    for (const bad of [
      '%%%',
      raw([1, 2]),
      raw(['not a date', ID]),
      raw(['2027-01-01T00:00:00.000Z', 'not-a-uuid']),
      raw(['2027-01-01T00:00:00.000Z', ID, 'not a date']),
      raw(['2027-01-01T00:00:00.000Z', ID, '2026-11-21T12:00:00.000Z', 'extra']),
      Buffer.from('{"a":1}').toString('base64url'),
    ]) {
      expect(() => decodeStartKey(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
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

  it('let exactly one request through to the database before a mark runs out', () => {
    const marks = new SoldOutMarks();
    marks.mark('t', 1000);
    expect(marks.isSoldOut('t', 1899)).toBe(true);
    // 900 ms old: this caller is the probe and goes to the lane; everyone else still gets the mark.
    expect(marks.isSoldOut('t', 1900)).toBe(false);
    expect(marks.isSoldOut('t', 1901)).toBe(true);
    expect(marks.isSoldOut('t', 1999)).toBe(true);
    // The probe's batch found it still sold out: a fresh mark, and a fresh probe 900 ms later.
    marks.mark('t', 1950);
    expect(marks.isSoldOut('t', 2849)).toBe(true);
    expect(marks.isSoldOut('t', 2850)).toBe(false);
    expect(marks.isSoldOut('t', 2851)).toBe(true);
  });

  it('still end after one second when the probe does not come back', () => {
    const marks = new SoldOutMarks();
    marks.mark('t', 1000);
    expect(marks.isSoldOut('t', 1900)).toBe(false);
    expect(marks.isSoldOut('t', 1950)).toBe(true);
    expect(marks.isMarked('t', 1999)).toBe(true);
    expect(marks.isSoldOut('t', 2000)).toBe(false);
    expect(marks.isMarked('t', 2000)).toBe(false);
    expect(marks.isSoldOut('t', 2001)).toBe(false);
  });

  it('tell the lane a type is known sold out until its probe is due or running', () => {
    const marks = new SoldOutMarks();
    expect(marks.isKnownSoldOut('t', 1000)).toBe(false);
    marks.mark('t', 1000);
    expect(marks.isKnownSoldOut('t', 1899)).toBe(true);
    // The probe is due: the lane must send the batch to the database.
    expect(marks.isKnownSoldOut('t', 1900)).toBe(false);
    marks.mark('t', 2000);
    expect(marks.isSoldOut('t', 2900)).toBe(false); // this caller is the probe
    expect(marks.isKnownSoldOut('t', 2899)).toBe(false);
    marks.reopen(['t']);
    expect(marks.isKnownSoldOut('t', 2899)).toBe(false);
  });

  it('reopen at once when seats return', () => {
    const marks = new SoldOutMarks();
    marks.mark('t');
    marks.reopen(['t']);
    expect(marks.isSoldOut('t')).toBe(false);
  });
});
