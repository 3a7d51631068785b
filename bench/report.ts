// Turns a run into its verdicts and its two outputs: the full JSON record and the Markdown
// summary (bench/results/latest.md) with the table, the targets and the sell-out check.
import type { MachineInfo, PostgresInfo } from './environment.js';
import type { AnswerTiming, LoadResult } from './load.js';
import type { CpuShare } from './probes.js';

export type ScenarioId =
  | 'ceiling'
  | 'ceiling-booking'
  | 'browse-list'
  | 'browse-detail'
  | 'baseline'
  | 'hot-reserve'
  | 'sell-out';

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  ceiling: 'ceiling (JWT + JSON, no DB)',
  'ceiling-booking': 'booking-shaped ceiling (POST, no DB)',
  'browse-list': 'browse list',
  'browse-detail': 'browse detail',
  baseline: 'baseline (FOR UPDATE per request)',
  'hot-reserve': 'hot-event reserve',
  'sell-out': 'sell-out',
};

export const BOOKING_SCENARIOS: ScenarioId[] = ['baseline', 'hot-reserve', 'sell-out'];

export interface ScenarioResult {
  id: ScenarioId;
  connections: number;
  load: LoadResult;
  cpu: CpuShare;
  /** Connections the kernel dropped because the server's accept queue was full (warm-up included). */
  listenOverflows: number;
  rssMaxMb: number;
  /** The server's V8 heap right after the measured window (MB). */
  heapAfterMb: { used: number; total: number; external: number };
  /** Measured windows run (more than one when other processes made the first ones noisy). */
  attempts?: number;
  /** The sell-out runs in rounds, each on its own event with its own buyers. */
  round?: number;
  /** Reservations per allocation transaction (batched engine only). */
  avgBatch?: number;
  /** Mean database round trip of a batch as the server saw it (query sent to answer read), ms. */
  avgBatchMs?: number;
  /** Throughput (bookings/s for booking scenarios, else req/s) over the ceiling's req/s. */
  vsCeiling?: number;
  /** Hot reserve: bookings/s over the booking-shaped ceiling's req/s, measured just before it. */
  vsBookingCeiling?: number;
  /** Bookings/s over the baseline's bookings/s at the same connection count. */
  vsBaseline?: number;
}

export interface InventoryCheck {
  event: string;
  capacity: number;
  available: number;
  held: number;
  confirmed: number;
  consistent: boolean;
}

export interface SellOutCheck {
  round: number;
  capacity: number;
  buyers: number;
  granted: number;
  soldOut409: number;
  otherAnswers: Record<string, number>;
  tokenReuses: number;
  sold: number;
  available: number;
  capacityMinusAvailable: number;
  distinctBuyersWithTickets: number;
  inventoryConsistent: boolean;
  /** Latency and timing of the answers by HTTP status: where the sell-out's p99 comes from. */
  timing: Record<string, AnswerTiming>;
  exact: boolean;
  clean: boolean;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  holds: boolean | null;
}

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  postgres: PostgresInfo & { kind: 'embedded' | 'external' };
  settings: Record<string, string | number>;
  scenarios: ScenarioResult[];
  /** One check per sell-out round. */
  sellOuts?: SellOutCheck[];
  /** Latency of every answer of every round, taken together (ms, nearest rank). */
  sellOutPooled?: { rounds: number; answers: number; p50: number; p99: number; max: number };
  inventory: InventoryCheck[];
  server: { maxRssMb: number };
  targets: Target[];
  analytics?: { status: 'ran' | 'skipped' | 'failed'; note: string; lines: string[]; result?: unknown };
  notes: string[];
}

const round = (value: number, digits = 0) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function find(
  scenarios: ScenarioResult[],
  id: ScenarioId,
  connections: number,
): ScenarioResult | undefined {
  return scenarios.find((s) => s.id === id && s.connections === connections);
}

/** Bookings/s for booking scenarios, req/s otherwise: what the ratios compare. */
export function throughput(s: ScenarioResult): number {
  return BOOKING_SCENARIOS.includes(s.id) ? s.load.okPerSecond : s.load.rps;
}

export function addRatios(scenarios: ScenarioResult[]): void {
  for (const s of scenarios) {
    // The sell-out's bookings/s is capped by its capacity: no ratio means anything there.
    if (s.id === 'sell-out') continue;
    const ceiling = find(scenarios, 'ceiling', s.connections);
    const bookingCeiling = find(scenarios, 'ceiling-booking', s.connections);
    const baseline = find(scenarios, 'baseline', s.connections);
    if (ceiling && s.id !== 'ceiling') s.vsCeiling = round(throughput(s) / ceiling.load.rps, 2);
    if (bookingCeiling && s.id === 'hot-reserve') {
      s.vsBookingCeiling = round(throughput(s) / bookingCeiling.load.rps, 2);
    }
    if (
      baseline &&
      BOOKING_SCENARIOS.includes(s.id) &&
      s.id !== 'baseline' &&
      baseline.load.okPerSecond > 0
    ) {
      s.vsBaseline = round(s.load.okPerSecond / baseline.load.okPerSecond, 1);
    }
  }
}

/**
 * The booking-shaped ceiling does strictly more than the GET ceiling on the same stack (a body to
 * read and validate, a larger answer), so it can only measure higher when the GET ceiling's window
 * ran slow (the machine drifts between scenarios). Ratios against that ceiling are then overstated.
 */
export function ceilingWarnings(scenarios: ScenarioResult[], connections: number[]): string[] {
  const notes: string[] = [];
  for (const c of connections) {
    const get = find(scenarios, 'ceiling', c);
    const post = find(scenarios, 'ceiling-booking', c);
    if (get && post && post.load.rps > get.load.rps) {
      notes.push(
        `At ${c} connections the GET ceiling (${Math.round(get.load.rps).toLocaleString('en-US')} req/s) measured below ` +
          `the booking-shaped ceiling (${Math.round(post.load.rps).toLocaleString('en-US')} req/s), which does strictly more ` +
          'work on the same stack: the GET ceiling ran slow in its window, so every ratio against it at ' +
          `${c} connections is overstated; do not count a target met on it.`,
      );
    }
  }
  return notes;
}

/**
 * The p99 of the same booking request with no database behind it (the booking-shaped ceiling) at
 * the same connection count, next to a p99 target: what the request path alone gives on this
 * machine, before the allocation adds its part. A target near or below it is a matter of the
 * request path and the machine more than of the allocation.
 */
function noDatabaseFloor(scenarios: ScenarioResult[], connections: number): string {
  const floor = find(scenarios, 'ceiling-booking', connections);
  return floor
    ? `; the booking-shaped ceiling (no database) had p99 ${floor.load.latencyMs.p99} ms at ${connections}`
    : '';
}

export function evaluateTargets(record: Omit<RunRecord, 'targets'>, connections: number[]): Target[] {
  const targets: Target[] = [];
  const { scenarios } = record;
  const fmt = (n: number | undefined, digits = 2) => (n === undefined ? 'n/a' : String(round(n, digits)));
  for (const c of connections) {
    const hot = find(scenarios, 'hot-reserve', c);
    targets.push({
      name: `hot-event reserve vs baseline @${c}`,
      goal: '>= 15x',
      measured: `${fmt(hot?.vsBaseline, 1)}x`,
      holds: hot?.vsBaseline === undefined ? null : hot.vsBaseline >= 15,
    });
    // A GET ceiling measured below the booking-shaped one ran slow (ceilingWarnings): no target
    // is met on it.
    const slowCeiling = ceilingWarnings(scenarios, [c]).length > 0;
    targets.push({
      name: `hot-event reserve vs ceiling @${c}`,
      goal: '>= 0.5x',
      measured: `${fmt(hot?.vsCeiling)}x${slowCeiling ? ' (the GET ceiling ran slow: see Notes)' : ''}`,
      holds: hot?.vsCeiling === undefined ? null : hot.vsCeiling >= 0.5 && !slowCeiling,
    });
    targets.push({
      name: `hot-event reserve vs booking-shaped ceiling @${c}`,
      goal: '>= 0.5x',
      measured: `${fmt(hot?.vsBookingCeiling)}x`,
      holds: hot?.vsBookingCeiling === undefined ? null : hot.vsBookingCeiling >= 0.5,
    });
  }
  const hot256 = find(scenarios, 'hot-reserve', 256);
  targets.push({
    name: 'hot-event reserve p99 @256',
    goal: '<= 50 ms',
    measured: hot256 ? `${hot256.load.latencyMs.p99} ms${noDatabaseFloor(scenarios, 256)}` : 'n/a',
    holds: hot256 ? hot256.load.latencyMs.p99 <= 50 : null,
  });
  const checks = record.sellOuts ?? [];
  const ran = checks.length > 0;
  const rounds = checks.length === 1 ? '1 round' : `${checks.length} rounds`;
  const each = <T>(pick: (c: SellOutCheck) => T) => [...new Set(checks.map(pick))].join(' / ');
  targets.push({
    name: 'sell-out: exactly the capacity sold',
    goal: `${ran ? each((c) => num(c.capacity)) : '?'} granted, sold = capacity - available, invariant holds`,
    measured: ran
      ? `${rounds}: ${checks
          .map(
            (c) =>
              `${num(c.granted)} granted, sold ${num(c.sold)} = ${num(c.capacityMinusAvailable)}, invariant ${c.inventoryConsistent ? 'holds' : 'BROKEN'}`,
          )
          .join('; ')}`
      : 'n/a',
    holds: ran ? checks.every((c) => c.exact) : null,
  });
  targets.push({
    name: 'sell-out: every other answer a clean 409 SOLD_OUT',
    goal: `${ran ? each((c) => num(c.buyers - c.capacity)) : '?'} x 409 SOLD_OUT, nothing else`,
    measured: ran
      ? `${rounds}: ${checks
          .map(
            (c) =>
              `${num(c.soldOut409)} x 409 SOLD_OUT, other: ${
                Object.entries(c.otherAnswers)
                  .map(([k, v]) => `${v} x ${k}`)
                  .join(', ') || 'none'
              }`,
          )
          .join('; ')}`
      : 'n/a',
    holds: ran ? checks.every((c) => c.clean) : null,
  });
  const pooled = record.sellOutPooled;
  const sells = scenarios.filter((s) => s.id === 'sell-out');
  targets.push({
    name: `sell-out p99 @${sells[0]?.connections ?? 1000}`,
    goal: '<= 150 ms',
    measured: pooled
      ? `${pooled.p99} ms over all ${num(pooled.answers)} answers of ${pooled.rounds === 1 ? 'the round' : `the ${pooled.rounds} rounds`}` +
        (sells.length > 1
          ? ` (by round: ${sells.map((s) => `${s.load.latencyMs.p99} ms`).join(', ')})`
          : '') +
        noDatabaseFloor(scenarios, sells[0]?.connections ?? 1000)
      : 'n/a',
    holds: pooled ? pooled.p99 <= 150 : null,
  });
  for (const c of connections) {
    const list = find(scenarios, 'browse-list', c);
    targets.push({
      name: `browse list vs ceiling @${c}`,
      goal: '>= 0.6x',
      measured: `${fmt(list?.vsCeiling)}x`,
      holds: list?.vsCeiling === undefined ? null : list.vsCeiling >= 0.6,
    });
  }
  targets.push({
    name: 'server max RSS',
    goal: '< 300 MB',
    measured: `${record.server.maxRssMb} MB`,
    holds: record.server.maxRssMb > 0 ? record.server.maxRssMb < 300 : null,
  });
  return targets;
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');

function answers(load: LoadResult, overflows: number): string {
  const parts = Object.entries(load.errorCodes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${num(count)} x ${code}`);
  if (load.connectionErrors > 0) parts.push(`${num(load.connectionErrors)} socket errors`);
  if (load.timeouts > 0) parts.push(`${num(load.timeouts)} timeouts`);
  if (overflows > 0) parts.push(`${num(overflows)} accept-queue drops`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** The analytics scenario's endpoint timings, when its result has them (its shape is its own). */
function analyticsEndpoints(result: unknown): [string, { medianMs: number; p95Ms: number }][] {
  const endpoints = (result as { endpoints?: unknown } | undefined)?.endpoints;
  if (typeof endpoints !== 'object' || endpoints === null) return [];
  return Object.entries(endpoints).filter((entry): entry is [string, { medianMs: number; p95Ms: number }] => {
    const timing = entry[1] as { medianMs?: unknown; p95Ms?: unknown } | null;
    return typeof timing?.medianMs === 'number' && typeof timing.p95Ms === 'number';
  });
}

export function toMarkdown(record: RunRecord): string {
  const { machine, postgres, settings } = record;
  const lines: string[] = [];
  lines.push('# Evently benchmark: latest run', '');
  lines.push(
    `Generated by \`npm run bench\` on ${record.startedAt.slice(0, 16).replace('T', ' ')} UTC. ` +
      'The full record of every run is in `bench/results/<timestamp>.json`; how to read and reproduce it is in `docs/performance.md`.',
    '',
  );
  lines.push(
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB RAM, ${machine.os}; ` +
      'the server, PostgreSQL and the load generator share these CPUs.',
  );
  lines.push(
    `- Node ${machine.node}; PostgreSQL ${postgres.version} (${postgres.kind}), synchronous_commit=${postgres.synchronousCommit}, fsync=${postgres.fsync}, shared_buffers=${postgres.sharedBuffers}.`,
  );
  lines.push(
    `- Settings: ${Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}.`,
  );
  lines.push('');
  lines.push('## Results', '');
  lines.push(
    '| Scenario | Conn | req/s | bookings/s | p50 ms | p99 ms | non-2xx and errors | x ceiling | x baseline | CPU cores: server / PG / driver / other | avg batch (size, ms) | max RSS MB |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|');
  for (const s of record.scenarios) {
    const booking = BOOKING_SCENARIOS.includes(s.id);
    lines.push(
      `| ${SCENARIO_TITLES[s.id]}${s.round ? ` (round ${s.round})` : ''} | ${s.connections} | ${num(s.load.rps)} | ${booking ? num(s.load.okPerSecond) : ''} | ` +
        `${s.load.latencyMs.p50} | ${s.load.latencyMs.p99} | ${answers(s.load, s.listenOverflows)} | ` +
        `${s.vsCeiling === undefined ? '' : `${s.vsCeiling}x`}${s.vsBookingCeiling === undefined ? '' : ` (${s.vsBookingCeiling}x booking-shaped)`} | ${s.vsBaseline === undefined ? '' : `${s.vsBaseline}x`} | ` +
        `${s.cpu.server} / ${s.cpu.postgres} / ${s.cpu.driver} / ${s.cpu.other} | ${s.avgBatch === undefined ? '' : `${s.avgBatch}, ${s.avgBatchMs} ms`} | ${s.rssMaxMb} |`,
    );
  }
  lines.push('');
  lines.push(`Server max RSS over the whole run: **${record.server.maxRssMb} MB**.`, '');
  lines.push('## Targets', '');
  lines.push('| Target | Goal | Measured | Holds |', '|---|---|---|---|');
  for (const t of record.targets) {
    lines.push(
      `| ${t.name} | ${t.goal} | ${t.measured} | ${t.holds === null ? 'not run' : t.holds ? 'yes' : '**no**'} |`,
    );
  }
  lines.push('');
  const sellOuts = record.sellOuts ?? [];
  if (sellOuts.length > 0) {
    lines.push('## Sell-out check', '');
    for (const c of sellOuts) {
      if (sellOuts.length > 1) lines.push(`### Round ${c.round}`, '');
      lines.push(
        `${num(c.buyers)} distinct buyers, one request each (quantity 1), for ${num(c.capacity)} seats:`,
        '',
        `- answers: ${num(c.granted)} x 201 held, ${num(c.soldOut409)} x 409 SOLD_OUT, other: ${
          Object.entries(c.otherAnswers)
            .map(([k, v]) => `${num(v)} x ${k}`)
            .join(', ') || 'none'
        }${c.tokenReuses > 0 ? ` (${c.tokenReuses} requests reused a buyer: autocannon re-sent after a timeout)` : ''};`,
        `- database: sold (held + confirmed) ${num(c.sold)}, available ${num(c.available)}, capacity - available ${num(c.capacityMinusAvailable)}, ` +
          `${num(c.distinctBuyersWithTickets)} distinct buyers hold tickets;`,
        `- admin inventory endpoint: ${c.inventoryConsistent ? 'consistent (available + held + confirmed = capacity, per-user counters match)' : '**inconsistent**'};`,
        `- timing (ms from the start of the round): ${
          Object.entries(c.timing)
            .map(
              ([status, t]) =>
                `${num(t.count)} x ${status} answered from ${num(t.firstAtMs)} to ${num(t.lastAtMs)} ms, latency p50 ${t.p50} ms, p99 ${t.p99} ms, max ${t.max} ms`,
            )
            .join('; ') || 'not recorded'
        };`,
        `- verdict: ${c.exact ? 'exactly the capacity sold' : '**not exact**'}, ${c.clean ? 'every other answer a clean 409 SOLD_OUT' : '**unexpected answers**'}.`,
        '',
      );
    }
    const pooled = record.sellOutPooled;
    if (pooled && pooled.rounds > 1) {
      lines.push(
        `All ${pooled.rounds} rounds together, ${num(pooled.answers)} answers: latency p50 ${pooled.p50} ms, p99 ${pooled.p99} ms, max ${pooled.max} ms. ` +
          'The sell-out p99 target is judged on these (docs/performance.md, "Measuring a rush").',
        '',
      );
    }
  }
  if (record.inventory.length > 0) {
    lines.push('## Invariant after the run', '');
    lines.push(
      '| Event | Capacity | Available | Held | Confirmed | available + held + confirmed = capacity |',
      '|---|---:|---:|---:|---:|---|',
    );
    for (const i of record.inventory) {
      lines.push(
        `| ${i.event} | ${num(i.capacity)} | ${num(i.available)} | ${num(i.held)} | ${num(i.confirmed)} | ${i.consistent ? 'yes' : '**no**'} |`,
      );
    }
    lines.push('');
  }
  if (record.analytics) {
    lines.push('## Analytics', '');
    lines.push(record.analytics.note, '');
    const endpoints = analyticsEndpoints(record.analytics.result);
    if (endpoints.length > 0) {
      lines.push('| Endpoint | median ms | p95 ms |', '|---|---:|---:|');
      for (const [name, timing] of endpoints)
        lines.push(`| ${name} | ${timing.medianMs} | ${timing.p95Ms} |`);
      lines.push('');
    }
    if (record.analytics.lines.length > 0) lines.push('```', ...record.analytics.lines, '```', '');
  }
  if (record.notes.length > 0) {
    lines.push('## Notes', '');
    for (const note of record.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  lines.push('## How to read it', '');
  lines.push(
    '- Each scenario runs a warm-up, then the measured window; req/s counts every answer, bookings/s only 201s.',
    '- p50/p99 are autocannon latencies (ms, whole-millisecond resolution), measured by the driver on the same machine. The sell-out opens its connections first (one `GET` of the event page each, left out of every figure) and its figures come from the timing of each of its own answers.',
    '- x ceiling compares throughput (bookings/s for booking scenarios) with the ceiling route (`GET /bench/ceiling`: JWT check, a two-field JSON answer, no database) at the same connection count; x baseline compares bookings/s with the FOR UPDATE baseline.',
    "- The hot reserve is also compared with the booking-shaped ceiling (`POST /bench/ceiling/bookings`: the booking request's body and schema and a booking-shaped 201 answer, built in memory), measured right before it: the two differ only by the allocation and its database work. Both ratios are reported; the machine's speed drifts between windows (the GET ceiling measured 19k to 32k req/s in one afternoon), and the adjacent booking-shaped ceiling is the steadier comparison.",
    '- CPU columns are cores in use during the measured window (1.0 = one core): the server process, the PostgreSQL under test, this driver (autocannon), and everything else on the machine, including CPU time the hypervisor took from this VM (steal in `/proc/stat`) (other = noise: it should be near 0).',
    "- avg batch is reservations per allocation transaction and the mean database round trip of one batch as the server timed it (query sent to answer read, commit included), from the server's `/metrics`.",
    '',
  );
  return lines.join('\n');
}
