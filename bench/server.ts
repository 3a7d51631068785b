// The server under test: the real app from buildApp plus the bench-only routes, run by
// bench/run.ts as a child process (compiled, no loader) so its memory is measured on its own.
// Configuration is the product's (loadConfig); DATABASE_URL and JWT_SECRET are required here.
// WORKERS > 1 runs the product's supervisor (src/platform/cluster.ts) with that many workers, each
// this server; the probes then count every process of the tree.
import cluster from 'node:cluster';
import { warmAllocationConnections } from '../src/modules/bookings/warm-up.js';
import { SHUTDOWN_MESSAGE, superviseWorkers } from '../src/platform/cluster.js';
import { loadConfig } from '../src/platform/config.js';
import { createDb, migrateToLatest } from '../src/platform/db/database.js';
import {
  type AcceptHandles,
  LISTEN_BACKLOG,
  startAcceptHandles,
} from '../src/platform/http/accept-handles.js';

export interface ServerMessage {
  type: 'ready';
  port: number;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, []);
  if (!config.databaseUrl || !config.jwtSecret)
    throw new Error('the bench server needs DATABASE_URL and JWT_SECRET');
  const dbHandle = createDb(config.databaseUrl, config.dbPoolSize, { min: config.dbPoolMin });
  if (cluster.isPrimary) await migrateToLatest(dbHandle.db);
  if (cluster.isPrimary && config.workers > 1) {
    await dbHandle.close();
    const supervisor = superviseWorkers({
      workers: config.workers,
      env: {},
      onReady: (port) => process.send?.({ type: 'ready', port } satisfies ServerMessage),
      onStopped: async () => {},
      log: (line) => process.stderr.write(`bench supervisor: ${line}\n`),
    });
    // The driver died: do not outlive it.
    process.on('disconnect', () => supervisor.stop(0));
    return;
  }

  // Loaded here, not at the top: as in src/main.ts, a supervisor never loads the HTTP app.
  const { buildApp } = await import('../src/app.js');
  const { benchRoutes } = await import('./bench-routes.js');
  const app = await buildApp({
    config,
    db: dbHandle,
    jwtSecret: config.jwtSecret,
    databaseUrl: config.databaseUrl,
  });
  await app.register(benchRoutes, { ctx: app.ctx });

  let closing = false;
  let acceptHandles: AcceptHandles | undefined;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    // As src/main.ts: the app's onClose hooks (sweeper, listener) finish before the pool goes.
    acceptHandles?.close();
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
  // The driver (or, for a worker, the supervisor) died: do not outlive it.
  process.on('disconnect', shutdown);
  if (cluster.isWorker)
    process.on('message', (message) => {
      if (message === SHUTDOWN_MESSAGE) shutdown();
    });

  // Warms its connections and listens as src/main.ts does (its accept backlog and extra accept
  // handles); BENCH_LISTEN_BACKLOG overrides the backlog for experiments.
  await warmAllocationConnections(dbHandle.db, config.dbPoolMin, app.log, app.ctx.pipelines.all());
  const backlog = Number(process.env.BENCH_LISTEN_BACKLOG || LISTEN_BACKLOG);
  await app.listen({ port: config.port, host: config.host, backlog });
  acceptHandles = startAcceptHandles(app.server, config.acceptHandles, backlog, (err) =>
    app.log.warn({ err }, 'fewer accept handles than ACCEPT_HANDLES asks for'),
  );
  const { port } = app.server.address() as { port: number };
  // A worker's readiness reaches the supervisor as 'listening'; the supervisor tells the driver.
  if (!cluster.isWorker) process.send?.({ type: 'ready', port } satisfies ServerMessage);
}

main().catch((error) => {
  process.stderr.write(
    `bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
