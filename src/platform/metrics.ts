// Prometheus metrics: request rate and latency by route, database pool usage, booking lanes.
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { askSupervisor, METRICS_QUESTION } from './cluster-ipc.js';

export interface MetricSources {
  pool: pg.Pool;
  lanes: () => {
    waiting: number;
    lanes: number;
    batches: number;
    batchedItems: number;
    batchSeconds: number;
  };
}

export function registerMetrics(app: FastifyInstance, sources: MetricSources): Registry {
  const registry = new Registry();
  // With WORKERS > 1 the supervisor gathers every worker's series; this label keeps them apart.
  if (cluster.isWorker && cluster.worker) registry.setDefaultLabels({ worker: String(cluster.worker.id) });
  collectDefaultMetrics({ register: registry });

  // Its _count series is the request count by method, route and status (no second counter).
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency (and, as _count, requests) by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const { totalCount, idleCount, waitingCount } = sources.pool;
      this.set({ state: 'total' }, totalCount);
      this.set({ state: 'idle' }, idleCount);
      this.set({ state: 'in_use' }, totalCount - idleCount);
      this.set({ state: 'waiting_clients' }, waitingCount);
    },
  });
  new Gauge({
    name: 'booking_allocation',
    help: 'Batched allocation: waiting reservations, active lanes, batches and requests committed so far, and the seconds batches spent in the database round trip',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const stats = sources.lanes();
      this.set({ kind: 'waiting' }, stats.waiting);
      this.set({ kind: 'lanes' }, stats.lanes);
      this.set({ kind: 'batches_total' }, stats.batches);
      this.set({ kind: 'batched_requests_total' }, stats.batchedItems);
      this.set({ kind: 'batch_seconds_total' }, stats.batchSeconds);
    },
  });

  // A callback hook, like the auth guard: no promise and microtask turn per answer.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  const everyWorker = cluster.isWorker ? workerMetrics(registry) : undefined;
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return (await everyWorker?.()) ?? registry.metrics();
  });
  return registry;
}

/**
 * In a cluster worker: this registry answers the supervisor's collection (prom-client's
 * AggregatorRegistry), and /metrics asks the supervisor for every worker's series. Answers
 * undefined when the supervisor does not answer within 2 s: the worker then reports itself.
 */
function workerMetrics(registry: Registry): () => Promise<string | undefined> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the supervisor's collection
  return () => askSupervisor<string>(METRICS_QUESTION, null, 2000).catch(() => undefined);
}
