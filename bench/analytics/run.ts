// `npx tsx bench/analytics/run.ts`: the analytics bench on its own. Uses the PostgreSQL server of
// DATABASE_URL, else the local one (postgres://postgres@127.0.0.1:5432), creating a fresh database
// evently_bench_analytics there. Progress goes to stderr, the result (JSON) to stdout.
// ANALYTICS_BENCH_REUSE=1 keeps an already loaded dataset of the same size; ANALYTICS_BENCH_EVENTS,
// ANALYTICS_BENCH_BOOKINGS and ANALYTICS_BENCH_RUNS change the size and the number of timed runs.
import { runAnalyticsBench } from './scenario.js';

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return value;
}

const events = intEnv('ANALYTICS_BENCH_EVENTS');
const bookings = intEnv('ANALYTICS_BENCH_BOOKINGS');
const result = await runAnalyticsBench({
  databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  log: (line) => process.stderr.write(`${line}\n`),
  spec: { ...(events ? { events } : {}), ...(bookings ? { bookings } : {}) },
  runs: intEnv('ANALYTICS_BENCH_RUNS'),
  reuse: process.env.ANALYTICS_BENCH_REUSE === '1',
});
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exitCode = result.verification.consistent && result.targets.met ? 0 : 1;
