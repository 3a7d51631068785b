// The analytics bench: a million bookings across ten thousand events in a database of its own
// (evently_bench_analytics, on the server of `databaseUrl`), rollups verified against the bookings,
// then the three admin endpoints timed through the real app (app.inject: routing, auth, validation,
// SQL, serialization), and the rollup triggers' cost on the booking write path.
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { verifyRollups } from '../../src/modules/analytics/analytics.verification.js';
import { loadConfig } from '../../src/platform/config.js';
import { databaseUrl } from '../../src/platform/db/admin.js';
import { createDb, migrateToLatest } from '../../src/platform/db/database.js';
import { nearestRank } from '../stats.js';
import { type DatasetSpec, DEFAULT_SPEC, generateDataset } from './generate.js';

export const BENCH_DATABASE = 'evently_bench_analytics';

/** Latency budgets of the issue, in milliseconds. */
export const TARGETS = { summaryYear: 200, dailyYear: 200, stats: 50 } as const;

export interface AnalyticsBenchOptions {
  /** Any database on the PostgreSQL server to use; the bench creates and uses its own database there. */
  databaseUrl: string;
  log: (line: string) => void;
  spec?: Partial<DatasetSpec>;
  /** Timed requests per endpoint (after 3 warm-up requests). */
  runs?: number;
  /** Keep an existing bench database that already holds a dataset of the same spec. */
  reuse?: boolean;
}

export interface Timing {
  runs: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

export interface WriteCost {
  statements: number;
  withTriggersMedianMs: number;
  withoutTriggersMedianMs: number;
  addedMs: number;
}

export interface AnalyticsBenchResult {
  database: string;
  dataset: DatasetSpec & { loadSeconds: number | null; reused: boolean };
  /** Sizes of bookings and of the rollup tables. */
  tables: { table: string; rows: number; megabytes: number }[];
  verification: { consistent: boolean; mismatched: number; seconds: number };
  endpoints: Record<
    | 'summaryYear'
    | 'summaryYearCsv'
    | 'summary30Days'
    | 'dailyYear'
    | 'dailyYearOneEvent'
    | 'statsEvent'
    | 'statsEventYear',
    Timing
  >;
  targets: { summaryYearMs: number; dailyYearMs: number; statsMs: number; met: boolean };
  writeCost: { insert256Holds: WriteCost; confirmOne: WriteCost; expireOne: WriteCost };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function summarize(durations: number[]): Timing {
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    medianMs: round(
      sorted.length % 2 === 1
        ? (sorted[(sorted.length - 1) / 2] as number)
        : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2,
    ),
    p95Ms: round(nearestRank(sorted, 0.95)),
    minMs: round(sorted[0] as number),
    maxMs: round(sorted.at(-1) as number),
  };
}

const median = (values: number[]) => summarize(values).medianMs;

/** Creates the bench database unless `reuse` finds one holding the same dataset. */
async function prepareDatabase(
  serverUrl: string,
  spec: DatasetSpec,
  reuse: boolean,
): Promise<{ fresh: boolean; url: string }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ note: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1`,
      [BENCH_DATABASE],
    );
    if (reuse && rows[0]?.note === JSON.stringify(spec))
      return { fresh: false, url: databaseUrl(serverUrl, BENCH_DATABASE) };
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BENCH_DATABASE}`);
    return { fresh: true, url: databaseUrl(serverUrl, BENCH_DATABASE) };
  } finally {
    await admin.end();
  }
}

/**
 * Median time of one booking statement with and without the rollup triggers, each in a
 * transaction that is rolled back, so the dataset stays as loaded.
 */
async function measureWriteCost(client: pg.Client, log: (line: string) => void) {
  const { rows } = await client.query<{ ticket_type_id: string; event_id: string }>(
    `SELECT tt.id AS ticket_type_id, tt.event_id FROM ticket_types tt JOIN events e ON e.id = tt.event_id
      ORDER BY e.starts_at DESC, tt.position LIMIT 1`,
  );
  const target = rows[0];
  if (!target) throw new Error('no ticket type to write to');
  const { rows: users } = await client.query<{ id: string }>('SELECT id FROM users ORDER BY id LIMIT 256');
  const userIds = users.map((u) => u.id);
  // A booking references its buyer's counter row for the event (created at zero, as the engine does).
  await client.query(
    `INSERT INTO user_event_tickets (user_id, event_id, quantity)
     SELECT u, $2, 0 FROM unnest($1::uuid[]) AS u ON CONFLICT (user_id, event_id) DO NOTHING`,
    [userIds, target.event_id],
  );
  const hold = await client.query<{ id: string }>(
    `INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency, expires_at)
     VALUES (gen_random_uuid(), $1, $2, $3, 2, 'held', 5000, 'USD', now() + interval '1 hour') RETURNING id`,
    [userIds[0], target.event_id, target.ticket_type_id],
  );
  const holdId = hold.rows[0]?.id as string;
  const statements = {
    insert256Holds: {
      text: `INSERT INTO bookings (id, user_id, event_id, ticket_type_id, quantity, status, amount_cents, currency, expires_at)
             SELECT gen_random_uuid(), u, $2, $3, 1, 'held', 2500, 'USD', now() + interval '5 minutes'
               FROM unnest($1::uuid[]) AS u`,
      values: [userIds, target.event_id, target.ticket_type_id],
      repeat: 100,
    },
    confirmOne: {
      text: `UPDATE bookings SET status = 'confirmed', confirmed_at = now(), paid_cents = amount_cents
              WHERE id = $1 AND status = 'held'`,
      values: [holdId],
      repeat: 400,
    },
    expireOne: {
      text: `UPDATE bookings SET status = 'expired', expired_at = now() WHERE id = $1 AND status = 'held'`,
      values: [holdId],
      repeat: 400,
    },
  };
  const time = async (text: string, values: unknown[], repeat: number, into: number[]) => {
    for (let i = 0; i < repeat; i++) {
      await client.query('BEGIN');
      const t0 = performance.now();
      await client.query(text, values);
      into.push(performance.now() - t0);
      await client.query('ROLLBACK');
    }
  };
  const triggers = [
    'bookings_analytics_inserted',
    'bookings_analytics_updated',
    'bookings_analytics_deleted',
  ];
  const setTriggers = async (on: boolean) => {
    for (const trigger of triggers) {
      await client.query(`ALTER TABLE bookings ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`);
    }
  };
  // Alternating blocks with and without the triggers, so drift on a shared machine hits both alike.
  const samples = Object.fromEntries(
    Object.keys(statements).map((name) => [name, { with: [] as number[], without: [] as number[] }]),
  );
  try {
    for (let block = 0; block < 4; block++) {
      const on = block % 2 === 0;
      await setTriggers(on);
      for (const [name, s] of Object.entries(statements)) {
        const bucket = samples[name] as { with: number[]; without: number[] };
        await time(s.text, s.values, s.repeat / 2, on ? bucket.with : bucket.without);
      }
    }
  } finally {
    await setTriggers(true);
    await client.query('DELETE FROM bookings WHERE id = $1', [holdId]);
  }
  const result = {} as AnalyticsBenchResult['writeCost'];
  for (const [name, s] of Object.entries(statements)) {
    const bucket = samples[name] as { with: number[]; without: number[] };
    const w = median(bucket.with);
    const without = median(bucket.without);
    result[name as keyof typeof statements] = {
      statements: s.repeat,
      withTriggersMedianMs: w,
      withoutTriggersMedianMs: without,
      addedMs: round(w - without),
    };
    log(`  ${name}: ${w} ms with the rollup triggers, ${without} ms without`);
  }
  return result;
}

export async function runAnalyticsBench(options: AnalyticsBenchOptions): Promise<AnalyticsBenchResult> {
  const { log } = options;
  const spec: DatasetSpec = { ...DEFAULT_SPEC, ...options.spec };
  const runs = options.runs ?? 20;
  const { fresh, url } = await prepareDatabase(options.databaseUrl, spec, options.reuse ?? false);
  log(`analytics bench: database ${BENCH_DATABASE} (${fresh ? 'fresh' : 'reused'}), ${JSON.stringify(spec)}`);

  const handle = createDb(url, 10);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrateToLatest(handle.db);
    let loadSeconds: number | null = null;
    if (fresh) {
      log('loading the dataset ...');
      loadSeconds = (await generateDataset(client, spec, log)).seconds;
      await client.query(`COMMENT ON DATABASE ${BENCH_DATABASE} IS '${JSON.stringify(spec)}'`);
      log(`dataset loaded in ${loadSeconds.toFixed(1)} s`);
    }

    log('verifying the rollups against the bookings ...');
    const v0 = performance.now();
    const report = await verifyRollups(handle.db);
    const verification = {
      consistent: report.consistent,
      mismatched: report.mismatched,
      seconds: round((performance.now() - v0) / 1000),
    };
    log(
      `  ${report.consistent ? 'consistent' : `${report.mismatched} mismatches`} (${verification.seconds} s)`,
    );
    if (!report.consistent) log(`  first mismatches: ${JSON.stringify(report.mismatches.slice(0, 3))}`);

    const { rows: sizes } = await client.query<{ table: string; rows: string; bytes: string }>(
      `SELECT c.relname AS table, c.reltuples::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
         FROM pg_class c
        WHERE c.relname IN ('bookings', 'ticket_type_stats', 'event_daily_stats', 'event_monthly_stats', 'global_daily_stats')
        ORDER BY c.relname`,
    );
    const tables = sizes.map((s) => ({
      table: s.table,
      rows: Number(s.rows),
      megabytes: round(Number(s.bytes) / 1_048_576),
    }));

    const secret = randomBytes(32).toString('base64url');
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        JWT_SECRET: secret,
        AUTH_RATE_LIMIT: '0',
        DATABASE_URL: url,
      },
      [],
    );
    const app = await buildApp({
      config,
      db: handle,
      jwtSecret: secret,
      databaseUrl: url,
      background: false,
      logger: false,
    });
    let endpoints: AnalyticsBenchResult['endpoints'];
    try {
      await app.ready();
      const email = `analytics-bench-admin-${randomBytes(4).toString('hex')}@bench.evently.test`;
      await app.ctx.auth.bootstrapAdmin(email, 'bench-admin-password');
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password: 'bench-admin-password' },
      });
      const headers = { authorization: `Bearer ${login.json().accessToken}` };
      const { rows: picked } = await client.query<{ id: string }>(
        `SELECT id FROM events ORDER BY md5(id::text) LIMIT $1`,
        [runs + 3],
      );
      const eventAt = (i: number) => (picked[i % picked.length] as { id: string }).id;
      const today = new Date().toISOString().slice(0, 10);
      const yearAgo = new Date(Date.now() - 364 * 86_400_000).toISOString().slice(0, 10);
      const year = `from=${yearAgo}&to=${today}`;

      const measure = async (label: string, request: (i: number) => InjectOptions): Promise<Timing> => {
        const durations: number[] = [];
        for (let i = 0; i < runs + 3; i++) {
          const t0 = performance.now();
          const res = await app.inject(request(i));
          const elapsed = performance.now() - t0;
          if (res.statusCode !== 200)
            throw new Error(`${label}: HTTP ${res.statusCode} ${res.body.slice(0, 300)}`);
          if (i >= 3) durations.push(elapsed);
        }
        const timing = summarize(durations);
        log(`  ${label}: median ${timing.medianMs} ms, p95 ${timing.p95Ms} ms`);
        return timing;
      };
      log(`timing the endpoints (${runs} runs each after 3 warm-ups) ...`);
      endpoints = {
        summaryYear: await measure('summary, 365 days', () => ({
          method: 'GET',
          url: `/api/v1/admin/analytics/summary?${year}`,
          headers,
        })),
        summaryYearCsv: await measure('summary, 365 days, CSV', () => ({
          method: 'GET',
          url: `/api/v1/admin/analytics/summary?${year}`,
          headers: { ...headers, accept: 'text/csv' },
        })),
        summary30Days: await measure('summary, default 30 days', () => ({
          method: 'GET',
          url: '/api/v1/admin/analytics/summary',
          headers,
        })),
        dailyYear: await measure('daily, 365 days', () => ({
          method: 'GET',
          url: `/api/v1/admin/analytics/daily?${year}`,
          headers,
        })),
        dailyYearOneEvent: await measure('daily, 365 days, one event', (i) => ({
          method: 'GET',
          url: `/api/v1/admin/analytics/daily?${year}&eventId=${eventAt(i)}`,
          headers,
        })),
        statsEvent: await measure('event stats, default 30 days', (i) => ({
          method: 'GET',
          url: `/api/v1/admin/events/${eventAt(i)}/stats`,
          headers,
        })),
        statsEventYear: await measure('event stats, 365 days', (i) => ({
          method: 'GET',
          url: `/api/v1/admin/events/${eventAt(i)}/stats?${year}`,
          headers,
        })),
      };
    } finally {
      await app.close();
    }

    log('measuring the rollup triggers on the booking write path ...');
    const writeCost = await measureWriteCost(client, log);

    const targets = {
      summaryYearMs: TARGETS.summaryYear,
      dailyYearMs: TARGETS.dailyYear,
      statsMs: TARGETS.stats,
      met:
        endpoints.summaryYear.p95Ms < TARGETS.summaryYear &&
        endpoints.dailyYear.p95Ms < TARGETS.dailyYear &&
        endpoints.statsEvent.p95Ms < TARGETS.stats &&
        endpoints.statsEventYear.p95Ms < TARGETS.stats,
    };
    return {
      database: BENCH_DATABASE,
      dataset: { ...spec, loadSeconds: loadSeconds === null ? null : round(loadSeconds), reused: !fresh },
      tables,
      verification,
      endpoints,
      targets,
      writeCost,
    };
  } finally {
    await client.end();
    await handle.close();
  }
}
