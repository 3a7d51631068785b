import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dailyCsv, encodeCsv, wantsCsv } from '../../src/modules/analytics/analytics.csv.js';
import {
  addDays,
  eachDay,
  parseDay,
  resolveRange,
  splitIntoMonths,
} from '../../src/modules/analytics/analytics.range.js';
import { DomainError } from '../../src/platform/http/errors.js';

function validationField(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('VALIDATION_FAILED');
    const fields = ((error as DomainError).details?.fields ?? []) as { field: string }[];
    return fields[0]?.field;
  }
  return undefined;
}

describe('analytics periods', () => {
  it('defaults to the 30 days ending today, and to 30 days ending at `to`', () => {
    expect(resolveRange({}, '2024-03-10')).toEqual({ from: '2024-02-10', to: '2024-03-10' });
    expect(resolveRange({ to: '2024-01-15' }, '2024-03-10')).toEqual({
      from: '2023-12-17',
      to: '2024-01-15',
    });
    expect(resolveRange({ from: '2024-03-01' }, '2024-03-10')).toEqual({
      from: '2024-03-01',
      to: '2024-03-10',
    });
  });

  it('accepts one day and up to 366 days inclusive, and refuses 367 naming `to`', () => {
    expect(eachDay(resolveRange({ from: '2024-02-29', to: '2024-02-29' }, '2024-03-10'))).toEqual([
      '2024-02-29',
    ]);
    expect(eachDay(resolveRange({ from: '2024-01-01', to: '2024-12-31' }, '2024-03-10'))).toHaveLength(366);
    expect(validationField(() => resolveRange({ from: '2023-01-01', to: '2024-01-02' }, '2024-03-10'))).toBe(
      'to',
    );
  });

  it('refuses from after to, naming `from`, and dates that do not exist', () => {
    expect(validationField(() => resolveRange({ from: '2024-03-02', to: '2024-03-01' }, '2024-03-10'))).toBe(
      'from',
    );
    expect(validationField(() => resolveRange({ from: '2023-02-29' }, '2024-03-10'))).toBe('from');
    expect(validationField(() => resolveRange({ to: '2024-13-01' }, '2024-03-10'))).toBe('to');
    expect(parseDay('2024-02-29')).toBeDefined();
    expect(parseDay('2024-2-29')).toBeUndefined();
  });

  it('splits a range into whole months and loose days that cover every day exactly once', () => {
    const day = fc.integer({ min: 0, max: 3000 }).map((n) => addDays('2022-01-01', n));
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 400 }), (from, length) => {
        const range = { from, to: addDays(from, length) };
        const split = splitIntoMonths(range);
        const covered: string[] = split.days.flatMap((d) => eachDay(d));
        if (split.months) {
          for (const month of eachDay({ from: split.months.first, to: split.months.last })) {
            if (month.endsWith('-01'))
              covered.push(...eachDay({ from: month, to: addDays(nextMonth(month), -1) }));
          }
        }
        expect(covered.sort()).toEqual(eachDay(range));
      }),
    );
  });

  it('uses whole months only when they fit', () => {
    expect(splitIntoMonths({ from: '2024-01-15', to: '2024-02-10' })).toEqual({
      days: [{ from: '2024-01-15', to: '2024-02-10' }],
    });
    expect(splitIntoMonths({ from: '2024-01-15', to: '2024-04-10' })).toEqual({
      months: { first: '2024-02-01', last: '2024-03-01' },
      days: [
        { from: '2024-01-15', to: '2024-01-31' },
        { from: '2024-04-01', to: '2024-04-10' },
      ],
    });
    expect(splitIntoMonths({ from: '2024-01-01', to: '2024-12-31' })).toEqual({
      months: { first: '2024-01-01', last: '2024-12-01' },
      days: [],
    });
  });
});

function nextMonth(firstDay: string): string {
  const date = new Date(`${firstDay}T00:00:00Z`);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

describe('analytics CSV', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180) and ends lines with CRLF', () => {
    expect(
      encodeCsv(
        ['a', 'b', 'c'],
        [
          ['Rock, "Live"', 'two\nlines', 3],
          [null, undefined, 0.5],
        ],
      ),
    ).toBe('a,b,c\r\n"Rock, ""Live""","two\nlines",3\r\n,,0.5\r\n');
  });

  it('defuses text a spreadsheet would run as a formula, but writes numbers as they are', () => {
    expect(encodeCsv(['name', 'n'], [['=HYPERLINK("x")', -5]])).toBe(
      'name,n\r\n"\'=HYPERLINK(""x"")",-5\r\n',
    );
  });

  it('writes daily rows under a header row, revenue per currency in one cell', () => {
    const day = { date: '2024-03-01', bookings: 2, ticketsSold: 3, cancellations: 1 };
    expect(
      dailyCsv([
        {
          ...day,
          revenueCents: 7500,
          revenueByCurrency: [
            { currency: 'EUR', revenueCents: 5000 },
            { currency: 'GBP', revenueCents: 2500 },
          ],
        },
        { ...day, date: '2024-03-02', revenueCents: 0, revenueByCurrency: [] },
      ]),
    ).toBe(
      'date,bookings,ticketsSold,revenueCents,cancellations,revenueByCurrency\r\n' +
        '2024-03-01,2,3,7500,1,EUR 5000; GBP 2500\r\n2024-03-02,2,3,0,1,\r\n',
    );
  });
});

describe('analytics content negotiation', () => {
  it.each([
    [undefined, false],
    ['application/json', false],
    ['*/*', false],
    ['text/csv', true],
    ['text/csv; charset=utf-8', true],
    ['text/*', true],
    ['text/csv, */*', true],
    ['application/json, text/csv', false],
    ['text/csv, application/json', true],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.2, application/json', false],
    ['text/csv;q=0', false],
    ['text/html', false],
  ])('Accept %s -> CSV %s', (accept, csv) => {
    expect(wantsCsv(accept)).toBe(csv);
  });
});
