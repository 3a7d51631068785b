// The server under test: the real app from buildApp plus the bench-only routes, run by
// bench/run.ts as a child process (compiled, no loader) so its memory is measured on its own.
// Configuration is the product's (loadConfig); DATABASE_URL and JWT_SECRET are required here.
import { buildApp } from '../src/app.js';
import { warmAllocationConnections } from '../src/modules/bookings/warm-up.js';
import { loadConfig } from '../src/platform/config.js';
import { createDb, migrateToLatest } from '../src/platform/db/database.js';
import { benchRoutes } from './bench-routes.js';

export interface ServerMessage {
  type: 'ready';
  port: number;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, []);
  if (!config.databaseUrl || !config.jwtSecret)
    throw new Error('the bench server needs DATABASE_URL and JWT_SECRET');
  const dbHandle = createDb(config.databaseUrl, config.dbPoolSize, { min: config.dbPoolMin });
  await migrateToLatest(dbHandle.db);

  const app = await buildApp({
    config,
    db: dbHandle,
    jwtSecret: config.jwtSecret,
    databaseUrl: config.databaseUrl,
  });
  await app.register(benchRoutes, { ctx: app.ctx });

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    // As src/main.ts: the app's onClose hooks (sweeper, listener) finish before the pool goes.
    app
      .close()
      .then(() => dbHandle.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The driver died: do not outlive it.
  process.on('disconnect', shutdown);

  // Listens as src/main.ts does (an accept backlog of 4,096 for the opening burst of an on-sale);
  // BENCH_LISTEN_BACKLOG overrides it for experiments.
  await warmAllocationConnections(dbHandle.db, config.dbPoolMin, app.log);
  const backlog = Number(process.env.BENCH_LISTEN_BACKLOG || 4096);
  await app.listen({ port: config.port, host: config.host, backlog });
  const { port } = app.server.address() as { port: number };
  process.send?.({ type: 'ready', port } satisfies ServerMessage);
}

main().catch((error) => {
  process.stderr.write(
    `bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
