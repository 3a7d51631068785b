// Redis for the tests that truly need it: REDIS_URL, else the local server; undefined (and the
// tests skip, saying so) when none answers.
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function connectRedis(): Promise<Redis | undefined> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    client.disconnect();
    process.stdout.write(`[tests] no Redis at ${REDIS_URL}: skipping the tests that need Redis\n`);
    return undefined;
  }
}
