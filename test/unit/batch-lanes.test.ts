import { beforeEach, describe, expect, it } from 'vitest';
import { BatchLanes } from '../../src/modules/bookings/batch-lanes.js';
import { isConcurrentWriteFailure } from '../../src/platform/db/errors.js';
import { DomainError } from '../../src/platform/http/errors.js';

/** Resolves after the end of the current event-loop turn, where lanes send their batches. */
const turnEnd = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { gate, release };
}

describe('BatchLanes (natural batching)', () => {
  // A test that ends inside the end of a turn (answers are settled there) must not start the next
  // one there: work that arrives while the turn end runs is run at once (atTurnEnd).
  beforeEach(turnEnd);

  it('sends the requests of one turn as one batch at its end, and batches those that arrive while it commits', async () => {
    const batches: number[][] = [];
    const first = deferred();
    const lanes = new BatchLanes<number, number>({
      maxBatch: 10,
      maxQueue: 100,
      runBatch: async (_key, items) => {
        batches.push(items);
        if (batches.length === 1) await first.gate;
        return items.map((i) => i * 2);
      },
    });
    const results = [lanes.submit('t', 1), lanes.submit('t', 2)];
    // Nothing is sent before the turn ends: no timer, but the whole turn's requests go together.
    expect(batches).toEqual([]);
    await turnEnd();
    expect(batches).toEqual([[1, 2]]);
    for (let i = 3; i <= 5; i++) results.push(lanes.submit('t', i));
    await turnEnd();
    // One batch in flight at a time (depth 1): the rest wait for it.
    expect(batches).toEqual([[1, 2]]);
    first.release();
    expect(await Promise.all(results)).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('bounds the batch size', async () => {
    const sizes: number[] = [];
    const hold = deferred();
    const lanes = new BatchLanes<number, number>({
      maxBatch: 3,
      maxQueue: 100,
      runBatch: async (_key, items) => {
        sizes.push(items.length);
        if (sizes.length === 1) await hold.gate;
        return items;
      },
    });
    const all = Array.from({ length: 8 }, (_, i) => lanes.submit('t', i));
    hold.release();
    await Promise.all(all);
    expect(sizes).toEqual([3, 3, 2]);
  });

  it('keeps lanes of different keys independent', async () => {
    const seen: string[] = [];
    const lanes = new BatchLanes<string, string>({
      maxBatch: 10,
      maxQueue: 10,
      runBatch: async (key, items) => {
        seen.push(`${key}:${items.join(',')}`);
        return items;
      },
    });
    await Promise.all([lanes.submit('a', 'x'), lanes.submit('b', 'y')]);
    expect(seen.sort()).toEqual(['a:x', 'b:y']);
  });

  it('answers 503 with Retry-After past the queue bound instead of queueing without limit', async () => {
    const hold = deferred();
    const lanes = new BatchLanes<number, number>({
      maxBatch: 100,
      maxQueue: 2,
      runBatch: async (_key, items) => {
        await hold.gate;
        return items;
      },
    });
    const running = lanes.submit('t', 0);
    await turnEnd();
    const queued = [lanes.submit('t', 1), lanes.submit('t', 2)];
    await expect(lanes.submit('t', 3)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
      retryAfter: 1,
    });
    hold.release();
    expect(await Promise.all([running, ...queued])).toEqual([0, 1, 2]);
  });

  it('bounds the requests waiting over all lanes, whatever the number of ticket types', async () => {
    const hold = deferred();
    const lanes = new BatchLanes<number, number>({
      maxBatch: 100,
      maxQueue: 10,
      maxWaiting: 3,
      runBatch: async (_key, items) => {
        await hold.gate;
        return items;
      },
    });
    // Each lane's first batch is sent at the end of the turn; the others wait: two in lane a, one in b.
    const accepted = [lanes.submit('a', 0), lanes.submit('b', 10)];
    await turnEnd();
    accepted.push(lanes.submit('a', 1), lanes.submit('a', 2), lanes.submit('b', 11));
    expect(lanes.stats().waiting).toBe(3);
    await expect(lanes.submit('c', 20)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
    expect(lanes.stats().lanes).toBe(2);
    await expect(lanes.submit('a', 3)).rejects.toMatchObject({ status: 503 });
    hold.release();
    expect(await Promise.all(accepted)).toEqual([0, 10, 1, 2, 11]);
    // Once they are answered, there is room again.
    expect(await lanes.submit('c', 21)).toBe(21);
  });

  it('retries a failed batch one by one, so only the failing request gets 503', async () => {
    const hold = deferred();
    let calls = 0;
    const lanes = new BatchLanes<number, number>({
      maxBatch: 10,
      maxQueue: 10,
      runBatch: async (_key, items) => {
        calls++;
        if (calls === 1) await hold.gate;
        if (items.includes(13)) throw new Error('poison');
        return items;
      },
    });
    const first = lanes.submit('t', 1);
    await turnEnd();
    const rest = [12, 13, 14].map((n) => lanes.submit('t', n));
    hold.release();
    await first;
    const settled = await Promise.allSettled(rest);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 12 });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 14 });
    expect(settled[1]?.status).toBe('rejected');
    const reason = (settled[1] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(DomainError);
    expect(reason.code).toBe('SERVICE_UNAVAILABLE');
  });

  const concurrentWrite = () => Object.assign(new Error('could not serialize access'), { code: '40001' });

  /**
   * Lanes that rerun batches failing with 40001; `fail` decides, by the batches run so far and the
   * items of this one, whether it fails. The first batch waits for `hold`, so the next ones form.
   */
  function rerunningLanes(fail: (run: number, items: number[]) => Error | undefined) {
    const hold = deferred();
    const batches: number[][] = [];
    const lanes = new BatchLanes<number, number>({
      maxBatch: 10,
      maxQueue: 10,
      retryWhole: isConcurrentWriteFailure,
      runBatch: async (_key, items) => {
        batches.push(items);
        if (batches.length === 1) await hold.gate;
        const error = fail(batches.length, items);
        if (error) throw error;
        return items.map((i) => i * 10);
      },
    });
    return { lanes, batches, release: hold.release };
  }

  it('runs a batch that met a concurrent write once more as a whole, without splitting it', async () => {
    const { lanes, batches, release } = rerunningLanes((run) => (run === 2 ? concurrentWrite() : undefined));
    const all = [lanes.submit('t', 1)];
    await turnEnd();
    all.push(...[2, 3, 4].map((n) => lanes.submit('t', n)));
    release();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4], [2, 3, 4]]);
  });

  it('splits a batch whose rerun fails too, and gives each request one rerun of its own', async () => {
    // Request 3 always meets a concurrent write; the others only inside a batch.
    const { lanes, batches, release } = rerunningLanes((_run, items) =>
      items.includes(3) || items.length > 1 ? concurrentWrite() : undefined,
    );
    const first = lanes.submit('t', 1);
    await turnEnd();
    const rest = [2, 3, 4].map((n) => lanes.submit('t', n));
    release();
    await first;
    const settled = await Promise.allSettled(rest);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(batches).toEqual([[1], [2, 3, 4], [2, 3, 4], [2], [3], [3], [4]]);
  });

  it('does not rerun a batch whose failure is not a concurrent write', async () => {
    const { lanes, batches, release } = rerunningLanes(() => new Error('poison'));
    release();
    await expect(lanes.submit('t', 1)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(batches).toEqual([[1]]);
  });

  describe('pipelined (depth 2)', () => {
    /** Lanes whose batches wait until released, one gate per batch, in the order they were sent. */
    function gatedLanes(
      options: { runsAlone?: (item: number) => boolean; onLaneIdle?: (key: string) => void } = {},
    ) {
      const sent: { items: number[]; release: () => void }[] = [];
      const lanes = new BatchLanes<number, number>({
        maxBatch: 10,
        maxQueue: 100,
        depth: 2,
        ...options,
        runBatch: async (_key, items) => {
          const gate = deferred();
          sent.push({ items, release: gate.release });
          await gate.gate;
          return items.map((i) => -i);
        },
      });
      return { lanes, sent, batches: () => sent.map((b) => b.items) };
    }

    it('sends the next batch while one runs, and gathers the rest until one is answered', async () => {
      const { lanes, sent, batches } = gatedLanes();
      const results = [lanes.submit('t', 1)];
      await turnEnd();
      results.push(lanes.submit('t', 2), lanes.submit('t', 3));
      await turnEnd();
      expect(batches()).toEqual([[1], [2, 3]]);
      results.push(lanes.submit('t', 4));
      await turnEnd();
      results.push(lanes.submit('t', 5));
      await turnEnd();
      // Two in flight: 4 and 5 wait.
      expect(batches()).toEqual([[1], [2, 3]]);
      // The first is answered while the second still runs: the next batch is gathered until the
      // end of that turn, and takes everything queued.
      sent[0]?.release();
      expect(await results[0]).toBe(-1);
      await turnEnd();
      expect(batches()).toEqual([[1], [2, 3], [4, 5]]);
      sent[1]?.release();
      sent[2]?.release();
      expect(await Promise.all(results)).toEqual([-1, -2, -3, -4, -5]);
    });

    it('runs a batch that must run alone with nothing else in flight, and sends nothing beside it', async () => {
      const { lanes, sent, batches } = gatedLanes({ runsAlone: (item) => item >= 100 });
      const results = [lanes.submit('t', 1)];
      await turnEnd();
      results.push(lanes.submit('t', 100), lanes.submit('t', 2));
      await turnEnd();
      // [100, 2] must run alone: it waits for [1] although the depth allows two.
      expect(batches()).toEqual([[1]]);
      sent[0]?.release();
      await results[0];
      await turnEnd();
      expect(batches()).toEqual([[1], [100, 2]]);
      results.push(lanes.submit('t', 3));
      await turnEnd();
      expect(batches()).toEqual([[1], [100, 2]]);
      sent[1]?.release();
      await Promise.all(results.slice(0, 3));
      await turnEnd();
      expect(batches()).toEqual([[1], [100, 2], [3]]);
      sent[2]?.release();
      expect(await Promise.all(results)).toEqual([-1, -100, -2, -3]);
    });

    it('tells when a lane has nothing queued or in flight any more', async () => {
      const idle: string[] = [];
      const { lanes, sent } = gatedLanes({ onLaneIdle: (key) => idle.push(key) });
      const results = [lanes.submit('a', 1), lanes.submit('b', 2)];
      await turnEnd();
      sent[0]?.release();
      await results[0];
      await turnEnd();
      expect(idle).toEqual(['a']);
      expect(lanes.stats().lanes).toBe(1);
      sent[1]?.release();
      await results[1];
      await turnEnd();
      expect(idle).toEqual(['a', 'b']);
      expect(lanes.stats().lanes).toBe(0);
    });
  });
});
