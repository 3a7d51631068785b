// The Kysely instance over a pg pool, and the migration runner used by start-up, tests and the CLI.
import { CamelCasePlugin, Kysely, type MigrationProvider, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

// COUNT and SUM come back as int8/numeric; every count we keep fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number.parseFloat(value));

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Connections kept open however long they sit idle (pg-pool's `min`); 0 by default. */
  min?: number;
  /** How long a connection above `min` may sit idle before it is closed; 30 s by default. */
  idleTimeoutMillis?: number;
}

export function createDb(connectionString: string, poolSize: number, options: PoolOptions = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    min: options.min ?? 0,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: 'evently',
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = kyselyOver(pool);
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/**
 * Evently's Kysely over a pg pool, or over anything that hands out connections as one does (the
 * pipelined connections of src/platform/db/pipelined.ts): column names camelCased.
 */
export function kyselyOver(pool: pg.Pool): Db {
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
  });
}

/**
 * Opens `count` connections of the pool at once and runs `rehearse` on each of them. A fresh
 * PostgreSQL connection costs ~3 ms to open and runs its first allocation batch ~8 ms slower
 * (PL/pgSQL compile, statement plans, catalog caches); with the pool's `min` at `count` the
 * rehearsed connections then stay open, so the first wave after a start pays neither
 * (docs/performance.md, "A warm pool").
 */
export async function warmConnections(
  db: Db,
  count: number,
  rehearse: (connection: Db) => Promise<unknown>,
): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => db.connection().execute(rehearse)));
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration in order; throws with the failing migration's error. */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  const migrator = new Migrator({ db: db as Kysely<unknown>, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
