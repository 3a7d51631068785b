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

describe('bench report: the p99 targets', () => {
  const at = (id: ScenarioResult['id'], connections: number, p99: number) =>
    ({
      id,
      connections,
      load: { rps: 10_000, okPerSecond: 10_000, latencyMs: { p99 } },
    }) as unknown as ScenarioResult;
  const targets = (scenarios: ScenarioResult[]) => {
    addRatios(scenarios);
    const record = {
      scenarios,
      sellOuts: [],
      sellOutPooled: { rounds: 1, answers: 20_000, p50: 90, p99: 180, max: 240 },
      notes: [],
      server: { maxRssMb: 100 },
    };
    return evaluateTargets(record as unknown as Parameters<typeof evaluateTargets>[0], [256, 1000]);
  };

  it('shows the no-database p99 at the same connections next to each p99 target', () => {
    const result = targets([
      at('ceiling-booking', 256, 62),
      at('hot-reserve', 256, 74),
      at('ceiling-booking', 1000, 197),
      at('sell-out', 1000, 180),
    ]);
    expect(result.find((t) => t.name === 'hot-event reserve p99 @256')).toMatchObject({
      measured: '74 ms; the booking-shaped ceiling (no database) had p99 62 ms at 256',
      holds: false,
    });
    expect(result.find((t) => t.name === 'sell-out p99 @1000')).toMatchObject({
      measured:
        '180 ms over all 20,000 answers of the round; the booking-shaped ceiling (no database) had p99 197 ms at 1000',
      holds: false,
    });
  });

  it('says nothing of a floor that was not measured', () => {
    const result = targets([at('hot-reserve', 256, 45)]);
    expect(result.find((t) => t.name === 'hot-event reserve p99 @256')).toMatchObject({
      measured: '45 ms',
      holds: true,
    });
  });
});
