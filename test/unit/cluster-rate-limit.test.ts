// The supervisor's rate-limit counters (cluster mode without Redis): fixed windows per key, as
// @fastify/rate-limit's LocalStore counts, shared by every worker that asks.
import { describe, expect, it } from 'vitest';
import { RateLimitCounters } from '../../src/platform/cluster-rate-limit.js';

const WINDOW = 60_000;

describe('RateLimitCounters', () => {
  it('adds up the attempts of a key within its window, keys apart', () => {
    let now = 1_000_000;
    const counters = new RateLimitCounters(100, () => now);
    expect(counters.count('ip:1', WINDOW)).toEqual({ current: 1, ttl: WINDOW });
    now += 10_000;
    expect(counters.count('ip:1', WINDOW)).toEqual({ current: 2, ttl: WINDOW - 10_000 });
    expect(counters.count('email:a', WINDOW)).toEqual({ current: 1, ttl: WINDOW });
    expect(counters.count('ip:1', WINDOW, false)).toEqual({ current: 2, ttl: WINDOW - 10_000 });
  });

  it('opens a new window once the last one has passed', () => {
    let now = 0;
    const counters = new RateLimitCounters(100, () => now);
    for (let i = 0; i < 5; i++) counters.count('ip:1', WINDOW);
    now = WINDOW - 1;
    expect(counters.count('ip:1', WINDOW).current).toBe(6);
    now = WINDOW;
    expect(counters.count('ip:1', WINDOW, false)).toEqual({ current: 0, ttl: 0 });
    expect(counters.count('ip:1', WINDOW)).toEqual({ current: 1, ttl: WINDOW });
  });

  it('reading a key counts nothing and opens no window', () => {
    const counters = new RateLimitCounters(100, () => 0);
    expect(counters.count('ip:1', WINDOW, false)).toEqual({ current: 0, ttl: 0 });
    expect(counters.count('ip:1', WINDOW)).toEqual({ current: 1, ttl: WINDOW });
  });

  it('answers a worker only a well-formed question', () => {
    const counters = new RateLimitCounters(100, () => 0);
    expect(counters.answer({ key: 'ip:1', timeWindow: WINDOW, increment: true })).toEqual({
      current: 1,
      ttl: WINDOW,
    });
    expect(counters.answer({ key: 'ip:1', timeWindow: WINDOW, increment: false }).current).toBe(1);
    for (const bad of [null, {}, { key: 1, timeWindow: WINDOW }, { key: 'ip:1', timeWindow: 0 }])
      expect(() => counters.answer(bad)).toThrow(/needs a key and a positive timeWindow/);
  });

  it('forgets the least recently used keys past its size', () => {
    const counters = new RateLimitCounters(2, () => 0);
    counters.count('a', WINDOW);
    counters.count('b', WINDOW);
    counters.count('a', WINDOW);
    counters.count('c', WINDOW);
    expect(counters.count('a', WINDOW, false).current).toBe(2);
    expect(counters.count('b', WINDOW, false).current).toBe(0);
  });
});
