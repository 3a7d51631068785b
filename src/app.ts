// Builds the Fastify application from its plugins and feature modules. It opens no port and
// starts no database: main.ts boots it, tests call app.inject on it.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { analyticsRoutes } from './modules/analytics/analytics.routes.js';
import { AuthRepository } from './modules/auth/auth.repository.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { AuthService } from './modules/auth/auth.service.js';
import { TokenSigner } from './modules/auth/tokens.js';
import { BookingsRepository } from './modules/bookings/bookings.repository.js';
import { bookingRoutes } from './modules/bookings/bookings.routes.js';
import { BookingsService } from './modules/bookings/bookings.service.js';
import { IdempotencyStore } from './modules/bookings/idempotency.js';
import { type PaymentProvider, TestPaymentProvider } from './modules/bookings/payments.js';
import { SoldOutMarks } from './modules/bookings/sold-out.js';
import { EventDirectory, eventRouteLoader } from './modules/events/event-directory.js';
import { EventsRepository } from './modules/events/events.repository.js';
import { eventRoutes } from './modules/events/events.routes.js';
import { EventsService } from './modules/events/events.service.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { BackgroundRunner } from './platform/background.js';
import { SupervisorRateLimitStore } from './platform/cluster-rate-limit.js';
import type { Config } from './platform/config.js';
import type { DbHandle } from './platform/db/database.js';
import { PipelinedConnections } from './platform/db/pipelined.js';
import { createGuards, type Guards } from './platform/http/auth-guard.js';
import { BrowseCache } from './platform/http/browse-cache.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './platform/http/error-handler.js';
import { errorBody } from './platform/http/errors.js';
import { atTurnEnd } from './platform/http/turn-end-writes.js';
import { buildValidator } from './platform/http/validation.js';
import { registerMetrics } from './platform/metrics.js';
import { EVENTS_CHANNEL, INVENTORY_CHANNEL, PgSignals } from './platform/signals.js';

export interface AppContext {
  config: Config;
  dbHandle: DbHandle;
  auth: AuthService;
  events: EventsService;
  bookings: BookingsService;
  /** The allocation lanes' pipelined connections (warmed at start-up with the pool's). */
  pipelines: PipelinedConnections;
  idempotency: IdempotencyStore;
  guards: Guards;
  browseCache: BrowseCache;
  directory: EventDirectory;
  soldOut: SoldOutMarks;
  /** An admin changed an event: drop cached copies here and, through the signal, everywhere. */
  eventChanged: (eventId: string) => Promise<void>;
}

export interface BuildOptions {
  config: Config;
  db: DbHandle;
  jwtSecret: string;
  /** Connection string for the LISTEN connection (cross-process signals). */
  databaseUrl: string;
  redis?: Redis;
  payments?: PaymentProvider;
  /** Run the expiry sweep and signal listener (on by default; some tests drive them by hand). */
  background?: boolean;
  logger?: FastifyServerOptions['logger'];
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export async function buildApp(options: BuildOptions): Promise<FastifyInstance & { ctx: AppContext }> {
  const { config, db: dbHandle } = options;
  const db = dbHandle.db;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: 100 * 1024,
    forceCloseConnections: 'idle',
    // Requests that arrive while closing get the contract's 503 (the onRequest hook below).
    return503OnClosing: false,
    // Errors found before a route runs, in the contract's shape too.
    frameworkErrors,
    clientErrorHandler,
    ajv: {
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true },
    },
    schemaController: { compilersFactory: { buildValidator } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON bodies: the default secure parser, but an empty body counts as no body (POST .../cancel).
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    return parseJson(request, body as string, done);
  });

  const signer = new TokenSigner(options.jwtSecret);
  const guards = createGuards(signer);
  const eventsRepo = new EventsRepository(db);
  const directory = new EventDirectory(eventRouteLoader(db));
  const soldOut = new SoldOutMarks();
  const idempotency = new IdempotencyStore(db, config.idempotencyLeaseSeconds);
  const bookingsRepo = new BookingsRepository(db);
  const pipelines = new PipelinedConnections(options.databaseUrl, config.bookingPipelines);
  const browseCache = new BrowseCache();
  const forgetEvent = (eventId: string) => {
    browseCache.clear();
    directory.invalidate(eventId);
    // A capacity change may have reopened sales.
    soldOut.clear();
  };
  const bookings = new BookingsService(
    bookingsRepo,
    eventsRepo,
    directory,
    idempotency,
    options.payments ?? new TestPaymentProvider(),
    soldOut,
    {
      maxBatch: config.bookingBatchSize,
      pipelines,
      pipelineDepth: config.bookingPipelineDepth,
      maxQueue: config.bookingQueueLimit,
      maxWaiting: config.bookingWaitingLimit,
      onBatchFailure: (error, size) =>
        app.log.warn({ err: error, size }, 'allocation batch failed; retrying'),
    },
  );
  const ctx: AppContext = {
    config,
    dbHandle,
    auth: new AuthService(new AuthRepository(db), signer),
    events: new EventsService(db, eventsRepo),
    bookings,
    pipelines,
    idempotency,
    guards,
    browseCache,
    directory,
    soldOut,
    eventChanged: async (eventId) => {
      forgetEvent(eventId);
      await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${eventId})`.execute(db);
    },
  };

  // After the requests in flight are answered: their batches are on these connections.
  app.addHook('onClose', () => pipelines.close());

  registerErrorHandling(app);
  // Declared up front so every request object keeps one shape (Fastify's advice for hot paths).
  app.decorateRequest('auth', undefined);
  // Graceful shutdown: once closing starts, every answer closes its connection. Node's
  // server.close() only closes the keep-alive connections idle at that moment; one busy then
  // would stay open after its answer (Fastify keeps idle ones for 72 s) and hold the shutdown
  // until the process is killed. A request that still arrives gets the contract's 503.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply
      .status(503)
      .header('Retry-After', '1')
      .header('Connection', 'close')
      .send(errorBody('SERVICE_UNAVAILABLE', 'The server is shutting down, retry shortly'));
  });
  // Every answer is written at the end of the event-loop turn that produced it, with the turn's
  // other answers (WRITE_AT_TURN_END; docs/performance.md). A handler that calls reply.send()
  // must therefore return the reply, as Fastify asks of async handlers: until the turn ends the
  // reply is not sent yet, and Fastify would send the handler's result again.
  const writeAtTurnEnd = config.writeAtTurnEnd;
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('Connection', 'close');
    if (writeAtTurnEnd) atTurnEnd(() => done(null, payload));
    else done(null, payload);
  });

  await app.register(rateLimit, {
    global: false,
    redis: options.redis,
    // Cluster workers without Redis count in the supervisor, once for the deployment.
    store: !options.redis && cluster.isWorker ? SupervisorRateLimitStore : undefined,
    skipOnError: true,
    nameSpace: 'evently-rl:',
  });
  await app.register(underPressure, {
    // Shed load with a clean 503 rather than letting latency and memory grow without bound.
    maxEventLoopDelay: 2000,
    retryAfter: 1,
    exposeStatusRoute: false,
    pressureHandler: (_request, reply) => {
      reply
        .header('Retry-After', '1')
        .status(503)
        .send(errorBody('SERVICE_UNAVAILABLE', 'Server is overloaded, retry shortly'));
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Evently API',
        version: '1.0.0',
        description:
          'Ticketing for the on-sale rush. Errors always have the shape {"error":{"code","message","details"}}. ' +
          'Money is in integer minor units. Lists use ?limit= and an opaque ?cursor=.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'accounts' },
        { name: 'events' },
        { name: 'bookings' },
        { name: 'admin' },
        { name: 'analytics' },
        { name: 'health' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerMetrics(app, { pool: dbHandle.pool, lanes: () => bookings.laneStats() });
  await app.register(healthRoutes, { ctx, redis: options.redis });

  await app.register(
    async (api) => {
      await api.register(authRoutes, { ctx });
      await api.register(eventRoutes, { ctx });
      await api.register(bookingRoutes, { ctx });
      await api.register(analyticsRoutes, { ctx });
    },
    { prefix: '/api/v1' },
  );

  // The web app: static files, and index.html for client-side routes (deep links survive reload).
  const webIndex = path.join(config.webDir, 'index.html');
  const hasWeb = existsSync(webIndex);
  if (hasWeb) {
    await app.register(fastifyStatic, { root: config.webDir, wildcard: false, index: false, maxAge: '1h' });
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply.header('Cache-Control', 'no-cache').sendFile('index.html'),
    );
  }
  app.setNotFoundHandler((request, reply) => {
    const wantsPage = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    const isApi = /^\/(api|docs|openapi\.json|health|metrics)(\/|$)/.test(request.url);
    if (hasWeb && wantsPage && !isApi) {
      return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
    }
    const where = request.url.split('?')[0] ?? '/';
    const allowed = HTTP_METHODS.filter(
      (method) => method !== request.method && app.findRoute({ method, url: where }) !== null,
    );
    if (allowed.length > 0) {
      return reply
        .status(405)
        .header('Allow', allowed.join(', '))
        .send(
          errorBody(
            'METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${where}; allowed: ${allowed.join(', ')}`,
          ),
        );
    }
    return reply.status(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${where}`));
  });

  if (options.background !== false) {
    const signals = new PgSignals(options.databaseUrl, (error) =>
      app.log.warn({ err: error }, 'signal listener error'),
    );
    signals.on(INVENTORY_CHANNEL, (payload) => {
      try {
        soldOut.reopen(JSON.parse(payload) as string[]);
      } catch {
        app.log.warn({ payload }, 'malformed inventory signal');
      }
    });
    signals.on(EVENTS_CHANNEL, forgetEvent);
    const runner = new BackgroundRunner((name, error) =>
      app.log.error({ err: error, task: name }, 'background task failed'),
    );
    app.addHook('onReady', async () => {
      await signals.start();
      runner.start([
        { name: 'expire-holds', everyMs: config.expirySweepMs, run: () => bookings.expireDue() },
        { name: 'purge-idempotency-keys', everyMs: 10 * 60_000, run: () => idempotency.purgeExpired() },
      ]);
    });
    app.addHook('onClose', async () => {
      await runner.stop();
      await signals.stop();
    });
  }

  return Object.assign(app, { ctx });
}
