// Finds the PostgreSQL server the tests run against: TEST_DATABASE_URL, else the local server on
// 127.0.0.1:5432 (CI has one), else an embedded PostgreSQL started for the test run.
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../src/platform/config.js';
import { adminQuery, databaseUrl } from '../../src/platform/db/admin.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/platform/db/embedded.js';

export const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestServer {
  /** A URL of a maintenance database on the server, used to create and drop test databases. */
  adminUrl: string;
  kind: 'env' | 'local' | 'embedded';
  stop(): Promise<void>;
}

export async function findTestServer(): Promise<TestServer> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) return { adminUrl: fromEnv, kind: 'env', stop: async () => {} };
  if (await reachable(LOCAL_SERVER)) return { adminUrl: LOCAL_SERVER, kind: 'local', stop: async () => {} };
  const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
    dataDir: path.join(projectRoot, '.data', 'test-postgres'),
    port: 54339,
    database: 'test',
  });
  return { adminUrl: embedded.url, kind: 'embedded', stop: () => embedded.stop() };
}

export { adminQuery, databaseUrl };
