import { describe, expect, it } from 'vitest';
import { BatchLanes } from '../../src/modules/bookings/batch-lanes.js';
import { isConcurrentWriteFailure } from '../../src/platform/db/errors.js';
import { DomainError } from '../../src/platform/http/errors.js';

function deferred() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { gate, release };
}

describe('BatchLanes (natural batching)', () => {
  it('runs the first request alone at once and batches those that arrive while it commits', async () => {
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
    const results = [lanes.submit('t', 1)];
    for (let i = 2; i <= 5; i++) results.push(lanes.submit('t', i));
    first.release();
    expect(await Promise.all(results)).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
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
    expect(sizes).toEqual([1, 3, 3, 1]);
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
    // Each lane's first request runs at once; the others wait: two in lane a, one in lane b.
    const accepted = [lanes.submit('a', 0), lanes.submit('a', 1), lanes.submit('a', 2)];
    accepted.push(lanes.submit('b', 10), lanes.submit('b', 11));
    expect(lanes.stats().waiting).toBe(3);
    await expect(lanes.submit('c', 20)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
    expect(lanes.stats().lanes).toBe(2);
    await expect(lanes.submit('a', 3)).rejects.toMatchObject({ status: 503 });
    hold.release();
    expect(await Promise.all(accepted)).toEqual([0, 1, 2, 10, 11]);
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
    const all = [1, 2, 3, 4].map((n) => lanes.submit('t', n));
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
});
