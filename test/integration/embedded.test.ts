// The embedded PostgreSQL behind `npm start`: a restart right after a stop, and a folder in use.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/platform/config.js';
import { adminQuery } from '../../src/platform/db/admin.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/platform/db/embedded.js';

describe('embedded PostgreSQL', () => {
  const dataDir = path.join(projectRoot, '.data', `embedded-test-${process.pid}`);
  const port = 56000 + (process.pid % 500);
  const started: EmbeddedDatabase[] = [];
  afterAll(async () => {
    for (const db of started) await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a start while the previous server is still shutting down waits for it, then keeps its data', async () => {
    const first = await startEmbeddedPostgres({ dataDir, port });
    started.push(first);
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
    // A smart shutdown waits for the open session, as a stopping Evently's pool would make it.
    const pid = Number.parseInt(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8'), 10);
    process.kill(pid, 'SIGTERM');
    const release = setTimeout(() => void client.end(), 1_000);

    const second = await startEmbeddedPostgres({ dataDir, port, lockWaitMs: 20_000 });
    started.push(second);
    clearTimeout(release);
    expect(await adminQuery(second.url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
  }, 60_000);

  it('a folder held by a running server is refused with a clear message, and that server keeps running', async () => {
    const running = started.at(-1) as EmbeddedDatabase;
    await expect(startEmbeddedPostgres({ dataDir, port, lockWaitMs: 300 })).rejects.toThrow(
      /is in use by another PostgreSQL \(pid \d+\); is Evently already running\?/,
    );
    expect(await adminQuery(running.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
  }, 30_000);
});
