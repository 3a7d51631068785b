// Natural batching: one writer per key (ticket type) per process. The requests that one turn of
// the event loop reads form one batch, sent at the end of that turn; requests arriving while the
// lane's batches are in flight wait and form the next batch, so light load pays no added latency
// (no timer: the turn end comes microseconds later) and heavy load shares one transaction among
// many requests. With a pipelined connection (depth 2) the next batch is already queued at the
// database while the one before it runs.
import { DomainError } from '../../platform/http/errors.js';
import { atTurnEnd } from '../../platform/http/turn-end-writes.js';

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<T, R> {
  queue: Pending<T, R>[];
  /** Batches sent and not yet answered. */
  inFlight: number;
  /** The batch in flight must run alone (runsAlone): nothing else is sent until it is answered. */
  alone: boolean;
  /** A pump is due at the end of this turn of the event loop. */
  scheduled: boolean;
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
   * Batches of one lane that may be in flight at once (default 1). Above 1 the next batch is sent
   * while the one before it runs; runBatch must then run a lane's batches one after the other, in
   * the order it was called (a pipelined connection does).
   */
  depth?: number;
  /** An item whose batch must be the only one of its lane in flight (one that needs a transaction). */
  runsAlone?: (item: T) => boolean;
  /** The lane of this key has nothing queued or in flight any more. */
  onLaneIdle?: (key: string) => void;
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
      lane = { queue: [], inFlight: 0, alone: false, scheduled: false };
      this.lanes.set(key, lane);
    }
    if (lane.queue.length >= this.options.maxQueue) return Promise.reject(overloaded());
    const promise = new Promise<R>((resolve, reject) => lane.queue.push({ item, resolve, reject }));
    this.waiting++;
    // At the end of this turn, so every request the turn reads joins one batch. The turn end is
    // not a timer: with one request in flight it comes a few microseconds later.
    this.pumpAtTurnEnd(key, lane);
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

  private pumpAtTurnEnd(key: string, lane: Lane<T, R>): void {
    if (lane.scheduled) return;
    lane.scheduled = true;
    atTurnEnd(() => {
      lane.scheduled = false;
      this.pump(key, lane);
      this.closeIfIdle(key, lane);
    });
  }

  /**
   * Sends the lane's next batches while fewer than `depth` are in flight. As soon as a batch is
   * answered the next one is sent, and only then are the answered batch's requests answered, at
   * the end of this turn of the event loop (atTurnEnd), so writing a few hundred responses never
   * delays the database's next batch.
   */
  private pump(key: string, lane: Lane<T, R>): void {
    const depth = this.options.depth ?? 1;
    const runsAlone = this.options.runsAlone;
    while (lane.queue.length > 0 && !lane.alone && lane.inFlight < depth) {
      const size = Math.min(lane.queue.length, this.options.maxBatch);
      let alone = false;
      for (let i = 0; runsAlone && !alone && i < size; i++)
        alone = runsAlone((lane.queue[i] as Pending<T, R>).item);
      if (alone && lane.inFlight > 0) break;
      const batch = this.takeBatch(lane);
      lane.inFlight++;
      lane.alone = alone;
      void this.runSafely(key, batch)
        .catch((error: unknown) => () => {
          for (const pending of batch) pending.reject(error instanceof DomainError ? error : overloaded());
        })
        .then((settle) => {
          lane.inFlight--;
          if (alone) lane.alone = false;
          // The database has nothing of this lane left to run: the next batch goes at once.
          // Otherwise it is busy with the next batch already, and this turn's end gathers more.
          if (lane.inFlight === 0) this.pump(key, lane);
          else if (lane.queue.length > 0) this.pumpAtTurnEnd(key, lane);
          atTurnEnd(settle);
          this.closeIfIdle(key, lane);
        });
    }
  }

  private closeIfIdle(key: string, lane: Lane<T, R>): void {
    if (lane.inFlight > 0 || lane.queue.length > 0 || lane.scheduled || this.lanes.get(key) !== lane) return;
    this.lanes.delete(key);
    this.options.onLaneIdle?.(key);
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
