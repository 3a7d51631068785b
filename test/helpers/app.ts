// Builds the real application on a fresh database cloned from the migrated template.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { PaymentProvider } from '../../src/modules/bookings/payments.js';
import { type Config, loadConfig } from '../../src/platform/config.js';
import { createDb, type DbHandle } from '../../src/platform/db/database.js';
import { adminQuery, databaseUrl } from './postgres-server.js';

export type TestApp = Awaited<ReturnType<typeof buildApp>>;

export interface TestContext {
  app: TestApp;
  db: DbHandle;
  url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Start the expiry sweeper and signal listener (off by default: tests drive expiry themselves). */
  background?: boolean;
  poolSize?: number;
  /** Reuse an existing test database (several processes on one database). */
  databaseUrl?: string;
  /** A connected Redis client (see redis.ts), as with REDIS_URL. */
  redis?: Redis;
  /** The payment provider (the built-in test provider by default). */
  payments?: PaymentProvider;
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  // The template's pid suffix is the run's; reuse it so the run's teardown finds leftovers.
  const runId = inject('pgTemplate').replace('evently_tpl_', '');
  const name = `evently_t_${runId}_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  return {
    url: databaseUrl(adminUrl, name),
    drop: async () => {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      AUTH_RATE_LIMIT: '0',
      JWT_SECRET: 'test-secret-that-is-long-enough-0123456789',
      ...env,
    },
    [],
  );
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestContext> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : await createTestDatabase();
  const config = testConfig(options.env);
  const db = createDb(database.url, options.poolSize ?? 20);
  const app = await buildApp({
    config,
    db,
    jwtSecret: config.jwtSecret as string,
    databaseUrl: database.url,
    background: options.background ?? false,
    redis: options.redis,
    payments: options.payments,
    logger: process.env.TEST_LOG ? { level: 'warn' } : false,
  });
  await app.ready();
  return {
    app,
    db,
    url: database.url,
    async close() {
      await app.close();
      await db.close();
      await database.drop();
    },
  };
}
