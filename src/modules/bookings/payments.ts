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
    const previous = this.charges.get(input.idempotencyKey);
    if (previous) return previous;
    const result: ChargeResult =
      input.token === TEST_TOKENS.success
        ? { ok: true, ref: `ch_test_${randomBytes(12).toString('hex')}` }
        : { ok: false, reason: 'Your card was declined' };
    // Keep the memo small: it only has to cover a retry of the same confirmation.
    if (this.charges.size > 100_000) this.charges.clear();
    this.charges.set(input.idempotencyKey, result);
    return result;
  }

  async refund(input: {
    chargeRef: string;
    amountCents: number;
    currency: string;
  }): Promise<{ ref: string }> {
    const previous = this.refunds.get(input.chargeRef);
    if (previous) return previous;
    const result = { ref: `re_test_${randomBytes(12).toString('hex')}` };
    if (this.refunds.size > 100_000) this.refunds.clear();
    this.refunds.set(input.chargeRef, result);
    return result;
  }
}
