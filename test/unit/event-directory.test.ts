import { describe, expect, it } from 'vitest';
import { EventDirectory, type EventRoute } from '../../src/modules/events/event-directory.js';

const EVENT = '6f1c2b7e-3d4a-4f5b-9c8d-1e2f3a4b5c6d';

const route = (maxTicketsPerUser: number): EventRoute => ({
  id: EVENT,
  status: 'published',
  startsAt: new Date('2030-01-01T20:00:00Z'),
  maxTicketsPerUser,
  ticketTypeIds: ['1f1c2b7e-3d4a-4f5b-9c8d-1e2f3a4b5c6d'],
});

/** A loader whose reads the test answers one by one, and a clock the test moves. */
function setup() {
  const reads: { resolve: (r: EventRoute | undefined) => void; reject: (e: Error) => void }[] = [];
  let clock = 0;
  const directory = new EventDirectory(
    () =>
      new Promise<EventRoute | undefined>((resolve, reject) => {
        reads.push({ resolve, reject });
      }),
    { ttlMs: 1000, maxStaleMs: 10_000, now: () => clock },
  );
  const answer = async (index: number, value: EventRoute | Error) => {
    const read = reads[index];
    if (!read) throw new Error(`no read #${index}`);
    if (value instanceof Error) read.reject(value);
    else read.resolve(value);
    // Let the directory see the answer.
    await new Promise((r) => setImmediate(r));
  };
  /** The directory has read the event once (read #0). */
  const warm = async () => {
    const first = directory.get(EVENT);
    await answer(0, route(4));
    await first;
  };
  return {
    directory,
    reads,
    answer,
    warm,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** Whether a promise has settled, without waiting for it. */
async function settledNow<T>(promise: Promise<T>): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, new Promise((r) => setImmediate(() => r(pending)))])) !== pending;
}

describe('EventDirectory', () => {
  it('shares one read among the requests that come while it runs', async () => {
    const { directory, reads, answer } = setup();
    const first = directory.get(EVENT);
    const second = directory.get(EVENT);
    expect(reads).toHaveLength(1);
    await answer(0, route(4));
    expect(await first).toEqual(route(4));
    expect(await second).toEqual(route(4));
  });

  it('answers at once with the last route while one read refreshes it after the TTL', async () => {
    const { directory, reads, answer, advance, warm } = setup();
    await warm();
    advance(1500);

    const during = [directory.get(EVENT), directory.get(EVENT), directory.get(EVENT)];
    for (const request of during) expect(await settledNow(request)).toBe(true);
    expect(await Promise.all(during)).toEqual([route(4), route(4), route(4)]);
    expect(reads).toHaveLength(2);

    await answer(1, route(6));
    expect(await directory.get(EVENT)).toEqual(route(6));
    expect(reads).toHaveLength(2);
  });

  it('makes requests wait for a new read once an entry is older than the stale limit', async () => {
    const { directory, reads, answer, advance, warm } = setup();
    await warm();
    advance(10_001);

    const late = directory.get(EVENT);
    expect(reads).toHaveLength(2);
    expect(await settledNow(late)).toBe(false);
    await answer(1, route(2));
    expect(await late).toEqual(route(2));
  });

  it('after invalidate, waits for the new state and discards a refresh that was already running', async () => {
    const { directory, reads, answer, advance, warm } = setup();
    await warm();
    advance(1500);
    await directory.get(EVENT); // stale answer, starts refresh #1
    expect(reads).toHaveLength(2);

    directory.invalidate(EVENT); // an admin changed the event
    const afterEdit = directory.get(EVENT); // read #2
    expect(reads).toHaveLength(3);
    expect(await settledNow(afterEdit)).toBe(false);

    await answer(1, route(4)); // the refresh read the event before the edit
    await answer(2, route(8));
    expect(await afterEdit).toEqual(route(8));
    expect(await directory.get(EVENT)).toEqual(route(8));
  });

  it('keeps serving the stale route when a refresh fails, and tries again on a later request', async () => {
    const { directory, reads, answer, advance, warm } = setup();
    await warm();
    advance(1500);
    expect(await directory.get(EVENT)).toEqual(route(4));
    await answer(1, new Error('connection lost'));

    expect(await directory.get(EVENT)).toEqual(route(4));
    expect(reads).toHaveLength(3);
    await answer(2, route(5));
    expect(await directory.get(EVENT)).toEqual(route(5));
  });

  it('forgets a first read that failed, so the next request reads again', async () => {
    const { directory, reads, answer } = setup();
    const first = directory.get(EVENT);
    await answer(0, new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    const retry = directory.get(EVENT);
    expect(reads).toHaveLength(2);
    await answer(1, route(4));
    expect(await retry).toEqual(route(4));
  });

  it('takes the route from a read of the event page, so the first reservation does not read', async () => {
    const { directory, reads } = setup();
    const prime = directory.primer(EVENT);
    prime(route(3));
    expect(await directory.get(EVENT)).toEqual(route(3));
    expect(reads).toHaveLength(0);
  });

  it('ignores a page read that an admin edit overtook', async () => {
    const { directory, reads, answer } = setup();
    const overtaken = directory.primer(EVENT);
    directory.invalidate(EVENT); // the edit lands while the page read runs
    overtaken(route(3));
    const afterEdit = directory.get(EVENT);
    expect(reads).toHaveLength(1);
    await answer(0, route(8));
    expect(await afterEdit).toEqual(route(8));
  });

  it('keeps a read that started after the page read, running or done', async () => {
    const { directory, answer, advance } = setup();
    const older = directory.primer(EVENT);
    advance(10);
    const running = directory.get(EVENT); // read #0 starts after the page read
    older(route(3));
    await answer(0, route(4));
    expect(await running).toEqual(route(4));
    older(route(3));
    expect(await directory.get(EVENT)).toEqual(route(4));
  });

  it('answers undefined for an id that is not a UUID, without a read', async () => {
    const { directory, reads } = setup();
    expect(await directory.get('not-a-uuid')).toBeUndefined();
    expect(reads).toHaveLength(0);
  });
});
