import { describe, expect, it } from 'vitest';
import { ActionKey, isRetryable, withRetries } from './retry.ts';

const apiError = (code: string, status: number, retryAfterSeconds: number | null = null) =>
  Object.assign(new Error(code), { code, status, retryAfterSeconds });

/** A send that fails with the given errors in turn, then answers 'booked'. */
function failing(...errors: Error[]) {
  const calls: number[] = [];
  const send = async () => {
    calls.push(calls.length + 1);
    const error = errors[calls.length - 1];
    if (error) throw error;
    return 'booked';
  };
  return { send, calls };
}

describe('withRetries', () => {
  it('waits as Retry-After says after a 503 or a request still in progress, then answers', async () => {
    const waits: number[] = [];
    const slept: number[] = [];
    const { send, calls } = failing(
      apiError('SERVICE_UNAVAILABLE', 503, 1),
      apiError('IDEMPOTENCY_IN_PROGRESS', 409, 2),
    );
    const result = await withRetries(send, {
      onWait: (s) => waits.push(s),
      sleep: async (ms) => void slept.push(ms),
    });
    expect(result).toBe('booked');
    expect(calls).toHaveLength(3);
    expect(waits).toEqual([1, 2]);
    expect(slept).toEqual([1000, 2000]);
  });

  it('gives up after its tries, or at once on a definite answer or a wait too long', async () => {
    const sleep = async () => {};
    const busy = failing(...Array.from({ length: 5 }, () => apiError('SERVICE_UNAVAILABLE', 503, 1)));
    await expect(withRetries(busy.send, { tries: 3, sleep })).rejects.toMatchObject({ status: 503 });
    expect(busy.calls).toHaveLength(3);

    const soldOut = failing(apiError('SOLD_OUT', 409));
    await expect(withRetries(soldOut.send, { sleep })).rejects.toMatchObject({ code: 'SOLD_OUT' });
    expect(soldOut.calls).toHaveLength(1);

    const later = failing(apiError('SERVICE_UNAVAILABLE', 503, 60));
    await expect(withRetries(later.send, { sleep })).rejects.toMatchObject({ retryAfterSeconds: 60 });
    expect(later.calls).toHaveLength(1);

    const crashed = failing(apiError('INTERNAL', 500));
    await expect(withRetries(crashed.send, { sleep })).rejects.toMatchObject({ status: 500 });
    expect(crashed.calls).toHaveLength(1);
  });

  it('tries again once the network comes back', async () => {
    const { send, calls } = failing(apiError('NETWORK_ERROR', 0));
    expect(await withRetries(send, { sleep: async () => {} })).toBe('booked');
    expect(calls).toHaveLength(2);
  });
});

describe('ActionKey', () => {
  const request = { eventId: 'e', ticketTypeId: 't', quantity: 2 };

  it('keeps the key for a retry of the same request after an answer that was not definite', () => {
    const keys = new ActionKey();
    const first = keys.for(request);
    keys.settle(apiError('NETWORK_ERROR', 0));
    expect(keys.for({ ...request })).toBe(first);
    keys.settle(apiError('INTERNAL', 500));
    expect(keys.for(request)).toBe(first);
  });

  it('takes a new key after a definite answer or for another request', () => {
    const keys = new ActionKey();
    const first = keys.for(request);
    expect(keys.for({ ...request, quantity: 3 })).not.toBe(first);
    const second = keys.for(request);
    keys.settle(apiError('SOLD_OUT', 409));
    const third = keys.for(request);
    expect(third).not.toBe(second);
    keys.settle();
    expect(keys.for(request)).not.toBe(third);
  });

  it('sends every try of an action under one key, and settles the key by the answer', async () => {
    const keys = new ActionKey();
    const sent: string[] = [];
    const sleep = async () => {};
    const answers = [apiError('NETWORK_ERROR', 0), 'held'];
    const first = await keys.send(
      request,
      async (key) => {
        sent.push(key);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer;
      },
      { sleep },
    );
    expect(first).toBe('held');
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);

    const refused = (error: Error) => async (key: string) => {
      sent.push(key);
      throw error;
    };
    await expect(keys.send(request, refused(apiError('INTERNAL', 500)), { sleep })).rejects.toMatchObject({
      status: 500,
    });
    await expect(keys.send(request, refused(apiError('SOLD_OUT', 409)), { sleep })).rejects.toMatchObject({
      code: 'SOLD_OUT',
    });
    await keys.send(request, async (key) => sent.push(key), { sleep });
    // A new key after the success; the same one after the 500; a new one after the 409.
    expect(sent.slice(2)).toEqual([sent[2], sent[2], sent[4]]);
    expect(new Set([sent[0], sent[2], sent[4]]).size).toBe(3);
  });

  it('counts only answers that carry no decision as retryable', () => {
    expect(isRetryable(apiError('IDEMPOTENCY_IN_PROGRESS', 409, 1))).toBe(true);
    expect(isRetryable(apiError('RATE_LIMITED', 429, 5))).toBe(true);
    expect(isRetryable(apiError('TICKET_LIMIT_EXCEEDED', 409))).toBe(false);
    expect(isRetryable(new Error('not an API error'))).toBe(false);
  });
});
