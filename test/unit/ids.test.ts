import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeOrderedId } from '../../src/platform/ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('time-ordered ids', () => {
  afterEach(() => vi.useRealTimers());

  it('are UUIDv7 carrying the millisecond they were made in', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const after = Date.now();
    expect(id).toMatch(V7);
    expect(millisOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisOf(id)).toBeLessThanOrEqual(after);
  });

  it('sort by the millisecond they were made in, so a primary key grows at its right edge', () => {
    vi.useFakeTimers();
    const ids: string[] = [];
    for (let ms = 0; ms < 50; ms++) {
      vi.setSystemTime(Date.UTC(2027, 0, 1) + ms * 7);
      ids.push(timeOrderedId());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(millisOf(ids[0] as string)).toBe(Date.UTC(2027, 0, 1));
  });

  it('stay distinct within one millisecond and across refills of the random pool', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2027, 0, 1));
    // 2,000 ids use the pool of 256 several times over.
    const ids = Array.from({ length: 2000 }, () => timeOrderedId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(V7);
    // The random part differs: not one id repeated with a counter.
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length);
  });
});
