// The payment provider interface and the built-in test provider.
import { randomBytes } from 'node:crypto';
import { DomainError } from '../../platform/http/errors.js';

export type ChargeResult = { ok: true; ref: string } | { ok: false; reason: string };

export interface PaymentProvider {
  readonly name: string;
  /** Throws VALIDATION_FAILED for a token the provider cannot even try, before anything is reserved. */
  assertUsableToken(token: string): void;
  /**
   * Charges the amount. The idempotency key makes a retried charge (same key) return the first
   * result instead of charging twice, as real providers do.
   */
  charge(input: {
    token: string;
    amountCents: number;
    currency: string;
    idempotencyKey: string;
  }): Promise<ChargeResult>;
  /**
   * Returns a charge in full. Idempotent per charge, as with real providers' idempotency keys: two
   * requests refunding the same charge get the same refund, and the money goes back once.
   */
  refund(input: { chargeRef: string; amountCents: number; currency: string }): Promise<{ ref: string }>;
}

export const TEST_TOKENS = { success: 'tok_visa', declined: 'tok_chargeDeclined' } as const;

/**
 * A provider's idempotency: the first answer for a key, given again for every repeat. The memo is
 * kept small: it only has to cover the retries and races of one operation.
 */
function firstAnswer<T>(memo: Map<string, T>, key: string, answer: () => T): T {
  const previous = memo.get(key);
  if (previous) return previous;
  const result = answer();
  if (memo.size > 100_000) memo.clear();
  memo.set(key, result);
  return result;
}

export class TestPaymentProvider implements PaymentProvider {
  readonly name = 'test';
  private readonly charges = new Map<string, ChargeResult>();
  private readonly refunds = new Map<string, { ref: string }>();

  assertUsableToken(token: string): void {
    if (token !== TEST_TOKENS.success && token !== TEST_TOKENS.declined) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Unknown payment token; use ${TEST_TOKENS.success} or ${TEST_TOKENS.declined}`,
        {
          fields: [{ field: 'paymentToken', message: 'unknown test token' }],
        },
      );
    }
  }

  async charge(input: {
    token: string;
    amountCents: number;
    currency: string;
    idempotencyKey: string;
  }): Promise<ChargeResult> {
    this.assertUsableToken(input.token);
    return firstAnswer(
      this.charges,
      input.idempotencyKey,
      (): ChargeResult =>
        input.token === TEST_TOKENS.success
          ? { ok: true, ref: `ch_test_${randomBytes(12).toString('hex')}` }
          : { ok: false, reason: 'Your card was declined' },
    );
  }

  async refund(input: {
    chargeRef: string;
    amountCents: number;
    currency: string;
  }): Promise<{ ref: string }> {
    return firstAnswer(this.refunds, input.chargeRef, () => ({
      ref: `re_test_${randomBytes(12).toString('hex')}`,
    }));
  }
}
