// Natural batching: one writer per key (ticket type) per process. The first request of an idle
// lane runs at once; requests arriving while a batch commits wait and form the next batch, so
// light load pays no added latency and heavy load shares one transaction among many requests.
import { DomainError } from '../../platform/http/errors.js';
import { atTurnEnd } from '../../platform/http/turn-end-writes.js';

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<T, R> {
  queue: Pending<T, R>[];
  running: boolean;
}

export interface BatchLanesOptions<T, R> {
  maxBatch: number;
  /** Waiting requests per lane; past it, 503 with Retry-After instead of unbounded latency. */
  maxQueue: number;
  /**
   * Waiting requests over all lanes of the process: with many ticket types on sale at once, the
   * per-lane bound alone would let memory grow with their number.
   */
  maxWaiting?: number;
  runBatch: (key: string, items: T[]) => Promise<R[]>;
  /**
   * A failure after which the whole batch is worth one more try before its requests are split:
   * one that says the batch met a concurrent write and wrote nothing (a serialization failure).
   */
  retryWhole?: (error: unknown) => boolean;
  onBatchFailure?: (error: unknown, size: number) => void;
}

export const overloaded = () =>
  new DomainError(
    'SERVICE_UNAVAILABLE',
    'Too many requests for this ticket type right now, retry shortly',
    undefined,
    1,
  );

export class BatchLanes<T, R> {
  private readonly lanes = new Map<string, Lane<T, R>>();
  private waiting = 0;
  private batches = 0;
  private batchedItems = 0;
  /** Time batches spent in runBatch (the database round trip as this process sees it), in ms. */
  private batchMillis = 0;

  constructor(private readonly options: BatchLanesOptions<T, R>) {}

  submit(key: string, item: T): Promise<R> {
    // Checked before a lane is made for the key, so a refused key leaves nothing behind.
    if (this.waiting >= (this.options.maxWaiting ?? Number.POSITIVE_INFINITY))
      return Promise.reject(overloaded());
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queue: [], running: false };
      this.lanes.set(key, lane);
    }
    if (lane.queue.length >= this.options.maxQueue) return Promise.reject(overloaded());
    const promise = new Promise<R>((resolve, reject) => lane.queue.push({ item, resolve, reject }));
    this.waiting++;
    if (!lane.running) {
      lane.running = true;
      void this.drain(key, lane);
    }
    return promise;
  }

  stats() {
    return {
      waiting: this.waiting,
      lanes: this.lanes.size,
      batches: this.batches,
      batchedItems: this.batchedItems,
      batchSeconds: this.batchMillis / 1000,
    };
  }

  private takeBatch(lane: Lane<T, R>): Pending<T, R>[] {
    const batch = lane.queue.splice(0, this.options.maxBatch);
    this.waiting -= batch.length;
    this.batches++;
    this.batchedItems += batch.length;
    return batch;
  }

  /**
   * Runs batch after batch. As soon as a batch is decided, the next one starts, and only then
   * are the finished batch's requests answered, at the end of this turn of the event loop:
   * writing a few hundred responses must not delay the next batch's query while the lock is free.
   * Their answers are written in that same turn end (atTurnEnd), not one turn later.
   */
  private async drain(key: string, lane: Lane<T, R>): Promise<void> {
    let running = this.runSafely(key, this.takeBatch(lane));
    for (;;) {
      const settle = await running;
      const more = lane.queue.length > 0;
      if (more) running = this.runSafely(key, this.takeBatch(lane));
      atTurnEnd(settle);
      if (!more) break;
    }
    lane.running = false;
    this.lanes.delete(key);
  }

  /**
   * Runs one batch and returns how to answer its requests. A failed batch wrote nothing (its
   * transaction rolled back). When the failure is one retryWhole accepts, the batch runs once
   * more as it is; otherwise, or when that fails too, its requests are retried one by one, so one
   * bad request cannot fail its neighbours; a request that fails alone gets 503.
   */
  private async runSafely(key: string, batch: Pending<T, R>[], retried = false): Promise<() => void> {
    const started = performance.now();
    try {
      const results = await this.options.runBatch(
        key,
        batch.map((p) => p.item),
      );
      this.batchMillis += performance.now() - started;
      return () => {
        for (const [i, p] of batch.entries()) p.resolve(results[i] as R);
      };
    } catch (error) {
      this.options.onBatchFailure?.(error, batch.length);
      if (!retried && this.options.retryWhole?.(error)) return this.runSafely(key, batch, true);
      if (batch.length === 1) {
        const pending = batch[0];
        return () => pending?.reject(error instanceof DomainError ? error : overloaded());
      }
    }
    const settlers: (() => void)[] = [];
    for (const pending of batch) settlers.push(await this.runSafely(key, [pending]));
    return () => {
      for (const settle of settlers) settle();
    };
  }
}
