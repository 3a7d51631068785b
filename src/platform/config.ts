// The one typed configuration of the process, read from the environment and validated once at start-up.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  jwtSecret: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Register and login attempts per minute per IP and per email; 0 disables the limit. */
  authRateLimit: number;
  /** Load demo events into an empty database at start-up. */
  seedDemo: boolean;
  /**
   * HTTP processes sharing the port (node:cluster), or `auto` for one per CPU. 1 serves from this
   * process; more make it a supervisor that prepares the database once and restarts a worker that
   * crashes.
   */
  workers: number;
  /**
   * Listening handles of a single HTTP process: each accepts one new connection per event-loop
   * turn (src/platform/http/accept-handles.ts); 1 leaves only the server's own.
   */
  acceptHandles: number;
  /**
   * Write answers at the end of the event-loop turn that produced them, all together
   * (src/platform/http/turn-end-writes.ts); false writes each one as soon as it is ready.
   */
  writeAtTurnEnd: boolean;
  /** Connections in the PostgreSQL pool of this process. */
  dbPoolSize: number;
  /**
   * Connections opened and warmed at start-up and kept open through quiet periods, so the first
   * wave of an on-sale neither connects nor compiles the allocation path (at most DB_POOL_SIZE).
   */
  dbPoolMin: number;
  /** Port of the embedded PostgreSQL when DATABASE_URL is unset. */
  embeddedPgPort: number;
  /** Largest number of reservations committed in one allocation transaction. */
  bookingBatchSize: number;
  /**
   * Pipelined connections for the allocation lanes (0: every batch on the pool, one at a time per
   * ticket type); see src/platform/db/pipelined.ts.
   */
  bookingPipelines: number;
  /** Batches of one ticket type in flight at once on its pipelined connection. */
  bookingPipelineDepth: number;
  /** Reservations allowed to wait per ticket type in this process before 503. */
  bookingQueueLimit: number;
  /** Reservations allowed to wait over all ticket types in this process before 503. */
  bookingWaitingLimit: number;
  /** How often the hold-expiry sweep runs, in milliseconds. */
  expirySweepMs: number;
  /**
   * How long a claimed Idempotency-Key stays locked without news from its owner; a live owner
   * renews it every third of this, so only a dead one lets a retry take the key over.
   */
  idempotencyLeaseSeconds: number;
  /** Directory of the built web app served at `/`. */
  webDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NODE_ENVS = ['development', 'production', 'test'] as const;

/** Root of the project (the folder holding package.json), whether running from src/ or dist/. */
export const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, argv: string[] = process.argv): Config {
  const problems: string[] = [];

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${env[name]}")`);
    return fallback;
  };

  const nodeEnv = oneOf('NODE_ENV', NODE_ENVS, 'development');
  const jwtSecret = env.JWT_SECRET || undefined;
  if (jwtSecret !== undefined && jwtSecret.length < 32)
    problems.push('JWT_SECRET must be at least 32 characters');
  if (nodeEnv === 'production' && !jwtSecret)
    problems.push('JWT_SECRET is required when NODE_ENV=production');

  const adminEmail = env.ADMIN_EMAIL || undefined;
  const adminPassword = env.ADMIN_PASSWORD || undefined;
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(adminEmail))
    problems.push('ADMIN_EMAIL is not an email');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (adminPassword !== undefined && adminPassword.length < 8)
    problems.push('ADMIN_PASSWORD must be at least 8 characters');

  const dataDir = path.resolve(projectRoot, env.DATA_DIR || '.data');
  const config: Config = {
    nodeEnv,
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir,
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    jwtSecret,
    adminEmail,
    adminPassword,
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    authRateLimit: int('AUTH_RATE_LIMIT', 10, 0, 1_000_000),
    seedDemo: bool('SEED_DEMO', true) && !argv.includes('--no-seed'),
    // 'auto': one worker per CPU this process may use.
    workers:
      env.WORKERS?.trim().toLowerCase() === 'auto'
        ? Math.min(availableParallelism(), 64)
        : int('WORKERS', 1, 1, 64),
    acceptHandles: int('ACCEPT_HANDLES', 16, 1, 256),
    writeAtTurnEnd: bool('WRITE_AT_TURN_END', true),
    dbPoolSize: int('DB_POOL_SIZE', 20, 2, 500),
    dbPoolMin: int('DB_POOL_MIN', 4, 0, 500),
    embeddedPgPort: int('EMBEDDED_PG_PORT', 54329, 1024, 65535),
    bookingBatchSize: int('BOOKING_BATCH_SIZE', 1000, 1, 5000),
    bookingPipelines: int('BOOKING_PIPELINES', 4, 0, 64),
    bookingPipelineDepth: int('BOOKING_PIPELINE_DEPTH', 2, 1, 16),
    bookingQueueLimit: int('BOOKING_QUEUE_LIMIT', 5000, 1, 1_000_000),
    bookingWaitingLimit: int('BOOKING_WAITING_LIMIT', 20_000, 1, 10_000_000),
    expirySweepMs: int('EXPIRY_SWEEP_MS', 1000, 50, 60_000),
    idempotencyLeaseSeconds: int('IDEMPOTENCY_LEASE_SECONDS', 10, 1, 3600),
    webDir: path.resolve(projectRoot, env.WEB_DIR || 'dist/web'),
  };
  if (config.dbPoolMin > config.dbPoolSize)
    problems.push(`DB_POOL_MIN (${config.dbPoolMin}) must not exceed DB_POOL_SIZE (${config.dbPoolSize})`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Outside production a missing JWT_SECRET is generated once and kept in DATA_DIR, so tokens
 * survive restarts without the user having to invent a secret.
 */
export function resolveJwtSecret(config: Config): string {
  if (config.jwtSecret) return config.jwtSecret;
  const file = path.join(config.dataDir, 'jwt-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not generated yet
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
