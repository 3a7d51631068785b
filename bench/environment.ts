// Where the bench runs: the project folder, the PostgreSQL it uses (a fresh database in the
// embedded server, or DATABASE_URL as given) and a description of the machine for the report.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { adminQuery, databaseUrl } from '../src/platform/db/admin.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';

/** The folder holding package.json, whether the bench runs from bench/ or from its compiled copy. */
export function findProjectRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

export interface BenchDatabase {
  url: string;
  kind: 'embedded' | 'external';
  /** The embedded server's data directory (its postmaster.pid names the processes to measure). */
  dataDirectory?: string;
  stop(): Promise<void>;
}

const BENCH_DATABASE = 'evently_bench';

/**
 * DATABASE_URL when set (used as is: the bench adds its users and events to it), otherwise the
 * embedded PostgreSQL in .data/bench with a database recreated empty for every run. The server's
 * settings are the product's: synchronous_commit stays on.
 */
export async function openDatabase(root: string, log: (line: string) => void): Promise<BenchDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, kind: 'external', stop: async () => {} };

  const dataDir = path.join(root, '.data', 'bench');
  log(`starting the embedded PostgreSQL in ${path.relative(root, dataDir)} ...`);
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: Number(process.env.BENCH_PG_PORT ?? 54349),
    database: 'postgres',
  });
  await adminQuery(embedded.url, `DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
  await adminQuery(embedded.url, `CREATE DATABASE ${BENCH_DATABASE}`);
  return {
    url: databaseUrl(embedded.url, BENCH_DATABASE),
    kind: 'embedded',
    dataDirectory: path.join(dataDir, 'postgres'),
    stop: () => embedded.stop(),
  };
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
  clockTicks: number;
}

export function describeMachine(): MachineInfo {
  let clockTicks = 100;
  try {
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // getconf missing: Linux uses 100 almost everywhere
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    clockTicks,
  };
}

export interface PostgresInfo {
  version: string;
  synchronousCommit: string;
  fsync: string;
  sharedBuffers: string;
  maxConnections: string;
}

export async function describePostgres(url: string): Promise<PostgresInfo> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync,
              current_setting('fsync') AS fsync, current_setting('shared_buffers') AS shared,
              current_setting('max_connections') AS max`,
    );
    const row = rows[0] ?? {};
    return {
      version: row.version ?? '?',
      synchronousCommit: row.sync ?? '?',
      fsync: row.fsync ?? '?',
      sharedBuffers: row.shared ?? '?',
      maxConnections: row.max ?? '?',
    };
  } finally {
    await client.end();
  }
}
