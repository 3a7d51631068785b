// Login rate limits in cluster mode without Redis. Each worker's own counters would let N workers
// take N times the attempts, so the supervisor keeps them: a worker's @fastify/rate-limit store
// asks it over IPC (cluster-ipc.ts) and it counts once for the deployment. With REDIS_URL the
// limits are counted in Redis as before, across hosts too.
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';
import { askSupervisor } from './cluster-ipc.js';

export const RATE_LIMIT_QUESTION = 'rate-limit';

/** How long a worker waits for the supervisor; past it the store fails and the attempt is let through (skipOnError). */
const ANSWER_TIMEOUT_MS = 1_000;

interface Question {
  key: string;
  timeWindow: number;
  increment: boolean;
}

export interface Count {
  current: number;
  /** Milliseconds left in the key's window. */
  ttl: number;
}

/**
 * Fixed windows per key, counted as @fastify/rate-limit's own LocalStore counts them: the first
 * attempt opens a window of `timeWindow` ms; attempts in it add up; the next one after it opens a
 * new window. The least recently used keys go first past `maxKeys`.
 */
export class RateLimitCounters {
  private readonly windows: LRUCache<string, { current: number; startedMs: number }>;

  constructor(
    maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = new LRUCache({ max: maxKeys });
  }

  count(key: string, timeWindow: number, increment = true): Count {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.startedMs + timeWindow <= now) {
      if (!increment) return { current: 0, ttl: 0 };
      window = { current: 0, startedMs: now };
      this.windows.set(key, window);
    }
    if (increment) window.current++;
    return { current: window.current, ttl: window.startedMs + timeWindow - now };
  }

  /** A worker's question, checked: it crosses a process boundary. */
  answer(payload: unknown): Count {
    const { key, timeWindow, increment } = (payload ?? {}) as Partial<Question>;
    if (typeof key !== 'string' || typeof timeWindow !== 'number' || !(timeWindow > 0))
      throw new Error('a rate-limit question needs a key and a positive timeWindow');
    return this.count(key, timeWindow, increment !== false);
  }
}

/** A cluster worker's @fastify/rate-limit store: every count is the supervisor's. */
export class SupervisorRateLimitStore implements FastifyRateLimitStore {
  incr(key: string, callback: (error: Error | null, result?: Count) => void, timeWindow: number): void {
    this.ask({ key, timeWindow, increment: true }, callback);
  }

  read(key: string, callback: (error: Error | null, result?: Count) => void, timeWindow: number): void {
    this.ask({ key, timeWindow, increment: false }, callback);
  }

  /** Keys are the same for every route that uses a limiter, as with the Redis store. */
  child(): FastifyRateLimitStore {
    return this;
  }

  private ask(question: Question, callback: (error: Error | null, result?: Count) => void): void {
    askSupervisor<Count>(RATE_LIMIT_QUESTION, question, ANSWER_TIMEOUT_MS).then(
      (count) => callback(null, count),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}
