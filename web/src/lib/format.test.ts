import { describe, expect, it } from 'vitest';
import { formatMoney, formatRevenue } from './format.ts';

describe('revenue per currency', () => {
  it('lists each currency in its own money, never a sum across currencies', () => {
    const text = formatRevenue([
      { currency: 'EUR', revenueCents: 125_000 },
      { currency: 'JPY', revenueCents: 4_500 },
    ]);
    expect(text).toBe(`${formatMoney(125_000, 'EUR')} · ${formatMoney(4_500, 'JPY')}`);
    // Yen have no minor unit: 4,500 is ¥4,500, not ¥45.
    expect(text).toMatch(/4,500/);
    expect(text).not.toMatch(/129,500|1,295/);
  });

  it('says 0 when nothing was earned', () => {
    expect(formatRevenue([])).toBe('0');
  });
});
