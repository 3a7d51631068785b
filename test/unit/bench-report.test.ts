// The bench's verdicts: a GET ceiling that measured below the booking-shaped ceiling (which does
// strictly more work on the same stack) ran slow, and no ceiling target may be met on it.
import { describe, expect, it } from 'vitest';
import { addRatios, ceilingWarnings, evaluateTargets, type ScenarioResult } from '../../bench/report.js';

const scenario = (id: ScenarioResult['id'], rps: number, okPerSecond = 0) =>
  ({ id, connections: 256, load: { rps, okPerSecond, latencyMs: { p99: 30 } } }) as unknown as ScenarioResult;

const verdict = (scenarios: ScenarioResult[]) => {
  addRatios(scenarios);
  const record = { scenarios, sellOuts: [], notes: [], server: { maxRssMb: 100 } };
  return evaluateTargets(record as unknown as Parameters<typeof evaluateTargets>[0], [256]).find(
    (t) => t.name === 'hot-event reserve vs ceiling @256',
  );
};

describe('bench report: the ceiling check', () => {
  it('trusts a GET ceiling above the booking-shaped one', () => {
    const scenarios = [
      scenario('ceiling', 30_000),
      scenario('ceiling-booking', 20_000),
      scenario('hot-reserve', 16_000, 16_000),
    ];
    expect(ceilingWarnings(scenarios, [256])).toEqual([]);
    expect(verdict(scenarios)).toMatchObject({ measured: '0.53x', holds: true });
  });

  it('refuses a ceiling target met on a GET ceiling that ran slow, and says why', () => {
    const scenarios = [
      scenario('ceiling', 18_830),
      scenario('ceiling-booking', 25_126),
      scenario('hot-reserve', 12_535, 12_535),
    ];
    expect(ceilingWarnings(scenarios, [256])).toEqual([
      expect.stringMatching(/^At 256 connections the GET ceiling \(18,830 req\/s\) measured below/),
    ]);
    expect(verdict(scenarios)).toMatchObject({
      measured: '0.67x (the GET ceiling ran slow: see Notes)',
      holds: false,
    });
  });
});
