// One user action against a busy server. During an on-sale the API sheds load with 503 and a
// Retry-After, and a request whose first try is still running gets 409 IDEMPOTENCY_IN_PROGRESS.
// The app keeps one Idempotency-Key per action, so sending it again can never book or pay twice,
// waits as the server asks for a few tries, and only then shows the error.
import { uuid } from '../lib/uuid.ts';
import type { ApiError } from './client.ts';

type ErrorLike = Pick<ApiError, 'code' | 'status' | 'retryAfterSeconds'>;

function asApiError(error: unknown): ErrorLike | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, status } = error as Partial<ErrorLike>;
  return typeof code === 'string' && typeof status === 'number' ? (error as ErrorLike) : undefined;
}

/**
 * Whether the same request may be sent again under the same key: nothing definite came back
 * (the network failed, the server failed or was busy, or the first try is still running).
 */
export function isRetryable(error: unknown): boolean {
  const e = asApiError(error);
  if (!e) return false;
  return (
    e.code === 'NETWORK_ERROR' || e.code === 'IDEMPOTENCY_IN_PROGRESS' || e.status === 429 || e.status >= 500
  );
}

/** Whether to try again without asking the user: the server said when (Retry-After) or the network blinked. */
function retriesItself(error: unknown): boolean {
  const e = asApiError(error);
  if (!e) return false;
  if (e.code === 'NETWORK_ERROR') return true;
  return (e.status === 503 || e.code === 'IDEMPOTENCY_IN_PROGRESS') && e.retryAfterSeconds !== null;
}

export interface RetryOptions {
  /** Tries in all, the first included (default 4). */
  tries?: number;
  /** The longest single wait, whatever Retry-After says (default 5 s); a longer one ends the retries. */
  maxWaitSeconds?: number;
  /** Told before each wait, to show it: how long, and whether the network failed (or the server was busy). */
  onWait?: (seconds: number, networkFailed: boolean) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs send, and again after the server's Retry-After while the answer says to, up to `tries` times. */
export async function withRetries<T>(send: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { tries = 4, maxWaitSeconds = 5, onWait, sleep = defaultSleep } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= tries || !retriesItself(error)) throw error;
      const seconds = asApiError(error)?.retryAfterSeconds ?? 1;
      if (seconds > maxWaitSeconds) throw error;
      onWait?.(seconds, asApiError(error)?.code === 'NETWORK_ERROR');
      await sleep(Math.max(seconds, 0.5) * 1000);
    }
  }
}

/**
 * The Idempotency-Key of one user action: the same for every try of the same request, a new one
 * once the action got a definite answer or the request changed (another ticket type, quantity or
 * card is another action).
 */
/** What to tell the user while waiting to try again. */
export function waitMessage(seconds: number, networkFailed: boolean): string {
  return networkFailed
    ? `The connection dropped. Trying again in ${seconds} s…`
    : `Lots of people are booking right now. Trying again in ${seconds} s…`;
}

export class ActionKey {
  private current: { request: string; key: string } | null = null;

  for(request: unknown): string {
    const signature = JSON.stringify(request);
    if (this.current?.request !== signature) this.current = { request: signature, key: uuid() };
    return this.current.key;
  }

  /** After an answer: keep the key only if the same request may be sent again. */
  settle(error?: unknown): void {
    if (error === undefined || !isRetryable(error)) this.current = null;
  }

  /** Sends the request under this action's key, tried again as withRetries does, and settles the key by the answer. */
  async send<T>(request: unknown, send: (key: string) => Promise<T>, options?: RetryOptions): Promise<T> {
    const key = this.for(request);
    try {
      const answer = await withRetries(() => send(key), options);
      this.settle();
      return answer;
    } catch (error) {
      this.settle(error);
      throw error;
    }
  }
}
