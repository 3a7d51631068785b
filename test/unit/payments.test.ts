// The test payment provider behaves like a real one where the booking engine relies on it:
// a retried charge and a repeated refund of one charge each move money once.
import { describe, expect, it } from 'vitest';
import { TEST_TOKENS, TestPaymentProvider } from '../../src/modules/bookings/payments.js';

describe('TestPaymentProvider', () => {
  const charge = (provider: TestPaymentProvider, idempotencyKey: string) =>
    provider.charge({ token: TEST_TOKENS.success, amountCents: 5000, currency: 'EUR', idempotencyKey });

  it('answers a retried charge (same idempotency key) with the first charge', async () => {
    const provider = new TestPaymentProvider();
    const first = await charge(provider, 'booking:1:tok_visa');
    const again = await charge(provider, 'booking:1:tok_visa');
    const other = await charge(provider, 'booking:2:tok_visa');
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('refunds a charge once: two refunds of the same charge are the same refund', async () => {
    const provider = new TestPaymentProvider();
    const paid = await charge(provider, 'booking:3:tok_visa');
    if (!paid.ok) throw new Error('the test card was declined');
    const refund = { chargeRef: paid.ref, amountCents: 5000, currency: 'EUR' };
    const first = await provider.refund(refund);
    const second = await provider.refund(refund);
    expect(first.ref).toMatch(/^re_test_/);
    expect(second.ref).toBe(first.ref);
    const otherPaid = await charge(provider, 'booking:4:tok_visa');
    if (!otherPaid.ok) throw new Error('the test card was declined');
    expect((await provider.refund({ ...refund, chargeRef: otherPaid.ref })).ref).not.toBe(first.ref);
  });

  it('declines the decline token', async () => {
    const provider = new TestPaymentProvider();
    const result = await provider.charge({
      token: TEST_TOKENS.declined,
      amountCents: 5000,
      currency: 'EUR',
      idempotencyKey: 'booking:5:tok_chargeDeclined',
    });
    expect(result).toEqual({ ok: false, reason: 'Your card was declined' });
  });
});
