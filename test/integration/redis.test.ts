// With REDIS_URL, several API processes share login rate limits and readiness includes Redis.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { connectRedis } from '../helpers/redis.js';

const redis = await connectRedis();

describe.skipIf(!redis)('with Redis configured', () => {
  let a: TestContext;
  let b: TestContext;
  const clients: Redis[] = [];
  beforeAll(async () => {
    // Each process has its own connection, as separate processes would.
    const second = (await connectRedis()) as Redis;
    clients.push(redis as Redis, second);
    a = await createTestApp({ redis: redis as Redis, env: { AUTH_RATE_LIMIT: '3' } });
    b = await createTestApp({ redis: second, databaseUrl: a.url, env: { AUTH_RATE_LIMIT: '3' } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    for (const c of clients) c.disconnect();
  });

  it('shares the per-email login limit across processes', async () => {
    const email = `victim-${randomUUID()}@example.test`;
    const subnet = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (const [i, app] of [a.app, b.app, a.app, b.app].entries()) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: `${subnet}.${i + 1}`,
        payload: { email, password: 'wrong-password' },
      });
      statuses.push(res.statusCode);
    }
    // Without a shared store each process would allow 3 attempts: 6 in all.
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('reports Redis in readiness', async () => {
    const res = await a.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks).toEqual({ database: 'ok', redis: 'ok' });
  });
});
