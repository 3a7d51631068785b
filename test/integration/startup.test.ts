// Boots the real `npm start` path (build, embedded PostgreSQL, migrations, demo data, listen)
// with no DATABASE_URL, as a new user would, then restarts it to show the data survives, stops
// it while it is still starting, restarts it after a crash (also one in the middle of a rush),
// then runs it as a supervisor with two workers (WORKERS=2).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/platform/config.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a user types it, or the built server alone (node dist/main.js) to watch its exit code. */
function start(env: Record<string, string>, how: 'npm start' | 'built' = 'npm start'): Started {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  const [command, args] =
    how === 'npm start' ? ['npm', ['start', '--silent']] : [process.execPath, ['dist/main.js']];
  const child = spawn(command as string, args as string[], {
    cwd: projectRoot,
    env: { ...rest, ...env, NODE_ENV: 'development', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitReady(base: string, started: Started, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (started.child.exitCode !== null) throw new Error(`server exited early:\n${started.output()}`);
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready after ${timeoutMs} ms:\n${started.output()}`);
}

/** SIGTERM to the server alone, or (group) to everything `npm start` spawned, as Ctrl+C would. */
async function stop(started: Started, group = false): Promise<number | null> {
  const alive = started.child.exitCode === null && started.child.signalCode === null;
  if (alive && started.child.pid) process.kill(group ? -started.child.pid : started.child.pid, 'SIGTERM');
  return started.exited;
}

/**
 * The cluster workers whose parent is `pid` (Linux /proc), not the embedded PostgreSQL or its
 * helpers. A child between fork and exec still shows its parent's command line (`node
 * dist/main.js`), so the command line alone would take a PostgreSQL being started for a worker;
 * node:cluster puts NODE_UNIQUE_ID in a worker's environment, which exists only after exec.
 */
function workerPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((child) => {
        try {
          return (
            readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('dist/main.js') &&
            readFileSync(`/proc/${child}/environ`, 'utf8').includes('\0NODE_UNIQUE_ID=')
          );
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Whether a process runs (Linux /proc): a zombie, dead but not yet reaped, does not. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function json(
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
) {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      connection: 'close',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}

/** The admin's token and a published event with one ticket type of `capacity` seats. */
async function saleEvent(
  base: string,
  admin: { email: string; password: string },
  sale: { name: string; capacity: number; maxTicketsPerUser: number },
): Promise<{ adminToken: string; eventId: string }> {
  const login = await json(base, '/api/v1/auth/login', { method: 'POST', body: admin });
  const adminToken = login.body.accessToken as string;
  const event = await json(base, '/api/v1/admin/events', {
    method: 'POST',
    token: adminToken,
    body: {
      name: sale.name,
      venue: { name: 'Hall', city: 'Lisbon' },
      startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      maxTicketsPerUser: sale.maxTicketsPerUser,
      ticketTypes: [{ name: 'GA', priceCents: 1000, capacity: sale.capacity }],
    },
  });
  expect(event.status).toBe(201);
  return { adminToken, eventId: event.body.id as string };
}

/**
 * The workers in one /metrics answer (the supervisor collects every worker's series), or only
 * those with a series of `series` (e.g. the booking route's request count).
 */
async function workersInMetrics(base: string, series = ''): Promise<Set<string>> {
  const text = await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text();
  const seen = new Set<string>();
  for (const line of text.split('\n'))
    if (line.startsWith(series)) {
      const label = /worker="(\d+)"/.exec(line)?.[1];
      if (label) seen.add(label);
    }
  return seen;
}

/** Where a started server listens and keeps its embedded database. */
function listenEnv(port: number, dataDir: string, embeddedPgPort: string): Record<string, string> {
  return { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, EMBEDDED_PG_PORT: embeddedPgPort };
}

/** The workers, sorted, that counted requests with these leading labels in /metrics. */
async function countedBy(base: string, labels: string): Promise<string[]> {
  return [...(await workersInMetrics(base, `http_request_duration_seconds_count{${labels}`))].sort();
}

describe('npm start on a fresh machine (embedded PostgreSQL)', () => {
  // Inside the project, like the default .data/ a new user gets.
  const dataDir = path.join(projectRoot, '.data', `start-test-${process.pid}`);
  const running: Started[] = [];
  const embeddedPort = String(55400 + (process.pid % 500));
  let demoEvents = 0;
  afterAll(async () => {
    for (const s of running) await stop(s, true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, serves demo events, the docs and the web app, and keeps data across a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...listenEnv(port, dataDir, embeddedPort),
      ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: 'admin-password-1',
    };
    const first = start(env);
    running.push(first);
    await waitReady(base, first, 150_000);
    expect(first.output()).toContain(`${`http://localhost:${port}`}/docs`);
    // DB_POOL_MIN connections rehearsed a reservation before listening; a failure is a warning.
    expect(first.output()).not.toMatch(
      /warming the database connections failed|rehearsal did not reach a hold/,
    );

    const events = (await (await fetch(`${base}/api/v1/events`)).json()) as { data: unknown[] };
    expect(events.data.length).toBeGreaterThanOrEqual(5);
    demoEvents = events.data.length;
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    const page = await fetch(`${base}/events/some-deep-link`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');

    const register = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'keeper@example.test', password: 'password123', name: 'Keeper' }),
    });
    expect(register.status).toBe(201);

    // A second process on the same port gets a clear message, not a stack trace.
    const clash = start({ ...env, DATA_DIR: path.join(dataDir, 'other') }, 'built');
    running.push(clash);
    expect(await clash.exited).toBe(1);
    expect(clash.output()).toContain(`port ${port} is already in use`);

    // npm itself dies of the signal; what matters is that the server and its database stop.
    await stop(first, true);

    const second = start({ ...env, SEED_DEMO: 'true' }, 'built');
    running.push(second);
    await waitReady(base, second, 60_000);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'keeper@example.test', password: 'password123' }),
    });
    expect(login.status).toBe(200);
    // Demo events are loaded only into an empty database: no duplicates on the second start.
    const again = (await (await fetch(`${base}/api/v1/events?limit=100`)).json()) as { data: unknown[] };
    expect(again.data.length).toBe(events.data.length);
    // Graceful shutdown: HTTP drained, pools closed, embedded PostgreSQL stopped, exit code 0.
    expect(await stop(second)).toBe(0);
    expect(second.output()).not.toContain('Error');
  }, 240_000);

  it('a stop while starting lets the step under way finish, stops the database, exits 0, and the next start works', async () => {
    // Needs the build of the first test. Each case starts on an empty folder, so the first one is
    // stopped during initdb and the database's start, the second right after the migrations.
    expect(demoEvents).toBeGreaterThan(0);
    const cases = [
      { name: 'initdb', marker: 'Starting the embedded PostgreSQL', dir: path.join(dataDir, 'stop-initdb') },
      { name: 'app', marker: 'Applied migrations', dir: path.join(dataDir, 'stop-app') },
    ];
    for (const [i, stopCase] of cases.entries()) {
      const port = await freePort();
      const env = listenEnv(port, stopCase.dir, String(Number(embeddedPort) + 10 + i));
      const starting = start(env, 'built');
      running.push(starting);
      await until(
        `${stopCase.name}: ${stopCase.marker}`,
        () => starting.output().includes(stopCase.marker),
        60_000,
      );
      const code = await stop(starting);
      const output = starting.output();
      expect({ case: stopCase.name, code }).toEqual({ case: stopCase.name, code: 0 });
      expect(output).toContain('Evently stopped before it finished starting.');
      expect(output).not.toContain('Evently is running');
      expect(output).not.toMatch(/Error|at async/);
      // PostgreSQL removes its lock file when it has shut down.
      expect(existsSync(path.join(stopCase.dir, 'postgres', 'postmaster.pid'))).toBe(false);

      // The folder it left is whole: the next start serves the complete demo catalog.
      const base = `http://127.0.0.1:${port}`;
      const next = start(env, 'built');
      running.push(next);
      await waitReady(base, next, 60_000);
      const events = (await (await fetch(`${base}/api/v1/events?limit=100`)).json()) as { data: unknown[] };
      expect(events.data.length).toBe(demoEvents);
      expect(await stop(next)).toBe(0);
    }
  }, 180_000);

  it('after a crash (SIGKILL) the next start stops the PostgreSQL left running and keeps the data', async () => {
    expect(demoEvents).toBeGreaterThan(0); // the build of the first test
    const crashDir = path.join(dataDir, 'crash');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = listenEnv(port, crashDir, String(Number(embeddedPort) + 20));
    const first = start(env, 'built');
    running.push(first);
    await waitReady(base, first, 60_000);
    const account = { email: 'survivor@example.test', password: 'password123' };
    expect(
      (await json(base, '/api/v1/auth/register', { method: 'POST', body: { ...account, name: 'S' } })).status,
    ).toBe(201);

    // Killed outright, Evently cannot stop its database: the postmaster lives on, adopted by init.
    first.child.kill('SIGKILL');
    await first.exited;
    const lockFile = path.join(crashDir, 'postgres', 'postmaster.pid');
    const orphan = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
    expect(isRunning(orphan)).toBe(true);

    const second = start(env, 'built');
    running.push(second);
    await waitReady(base, second, 60_000);
    expect(second.output()).toContain(
      `stopping the PostgreSQL (pid ${orphan}) that a stopped Evently left running`,
    );
    // Gone, or a zombie until whoever adopted it reaps it; the folder is the new server's.
    expect(isRunning(orphan)).toBe(false);
    expect(Number.parseInt(readFileSync(lockFile, 'utf8'), 10)).not.toBe(orphan);
    expect((await json(base, '/api/v1/auth/login', { method: 'POST', body: account })).status).toBe(200);
    expect(await stop(second)).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  }, 120_000);

  it('a server killed mid-rush loses no reservation it acknowledged and oversells nothing', async () => {
    expect(demoEvents).toBeGreaterThan(0); // the build of the first test
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...listenEnv(port, path.join(dataDir, 'rush-crash'), String(Number(embeddedPort) + 30)),
      ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: 'admin-password-1',
      SEED_DEMO: 'false',
      AUTH_RATE_LIMIT: '0', // eleven sign-ins from one address within a second
    };
    const first = start(env, 'built');
    running.push(first);
    await waitReady(base, first, 60_000);
    const capacity = 40;
    const { adminToken, eventId } = await saleEvent(
      base,
      { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
      { name: 'Rush, then a crash', capacity, maxTicketsPerUser: 10 },
    );
    const buyers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const reg = await json(base, '/api/v1/auth/register', {
          method: 'POST',
          body: { email: `rush-${i}@example.test`, password: 'password123', name: `Buyer ${i}` },
        });
        expect(reg.status).toBe(201);
        return reg.body.accessToken as string;
      }),
    );

    // Ten buyers, each sending ten reservations one after another; the server is killed outright
    // the moment the tenth 201 has been read, so later requests are cut off or never sent.
    const acknowledged: { id: string; token: string }[] = [];
    const outcomes: (number | 'cut')[] = [];
    await Promise.all(
      buyers.map(async (token) => {
        for (let i = 0; i < 10; i++) {
          try {
            const res = await fetch(`${base}/api/v1/bookings`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ eventId, quantity: 1 }),
            });
            const body = (await res.json()) as { id?: string };
            outcomes.push(res.status);
            if (res.status === 201 && body.id) {
              acknowledged.push({ id: body.id, token });
              if (acknowledged.length === 10) first.child.kill('SIGKILL');
            }
          } catch {
            outcomes.push('cut');
          }
        }
      }),
    );
    await first.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(10);
    expect(outcomes).toContain('cut');

    const second = start(env, 'built');
    running.push(second);
    await waitReady(base, second, 60_000);
    // Every reservation the buyers were told about is there, held for them.
    for (const { id, token } of acknowledged) {
      const booking = await json(base, `/api/v1/bookings/${id}`, { token });
      expect({ id, status: booking.status, state: booking.body.status }).toEqual({
        id,
        status: 200,
        state: 'held',
      });
    }
    // Nothing oversold, nothing half-written: seats, holds and per-buyer counters agree.
    const inventory = await json(base, `/api/v1/admin/events/${eventId}/inventory`, { token: adminToken });
    expect(inventory.body.consistent).toBe(true);
    const [type] = inventory.body.ticketTypes as { held: number; confirmed: number; available: number }[];
    expect(type?.held).toBeGreaterThanOrEqual(acknowledged.length);
    expect((type?.held ?? 0) + (type?.confirmed ?? 0)).toBeLessThanOrEqual(capacity);
    expect(await stop(second)).toBe(0);
  }, 120_000);

  it('runs WORKERS=2 on one port: prepared once, exact under load, a crashed worker replaced, drained on SIGTERM', async () => {
    // Needs the build of the test above (vitest runs a file's tests in order); its own empty
    // database, so that seeding it twice would show.
    expect(demoEvents).toBeGreaterThan(0);
    const clusterDir = path.join(dataDir, 'cluster');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const clusterEnv = {
      ...listenEnv(port, clusterDir, String(Number(embeddedPort) + 1)),
      WORKERS: '2',
    };
    const supervisor = start(
      {
        ...clusterEnv,
        ADMIN_EMAIL: 'admin@example.test',
        ADMIN_PASSWORD: 'admin-password-1',
        SEED_DEMO: 'true',
        // Per address and per email, a minute: above the thirteen sign-ups and logins below,
        // reached by the guessed passwords at the end. No Redis, so the supervisor counts.
        AUTH_RATE_LIMIT: '40',
        REDIS_URL: '',
        DB_POOL_SIZE: '5',
        DB_POOL_MIN: '2',
      },
      'built',
    );
    running.push(supervisor);
    await waitReady(base, supervisor, 60_000);
    await until('the banner is printed', () => supervisor.output().includes('Workers:   2 processes'));
    const pid = supervisor.child.pid as number;
    const firstWorkers = workerPids(pid);
    expect(firstWorkers).toHaveLength(2);
    // Demo data and the admin account are the supervisor's, done once: no duplicates.
    const listed = await json(base, '/api/v1/events?limit=100');
    expect((listed.body.data as unknown[]).length).toBe(demoEvents);
    expect([...(await workersInMetrics(base))].sort()).toEqual(['1', '2']);

    // Buyers on both workers against one event: exactly its capacity is sold.
    const { adminToken, eventId } = await saleEvent(
      base,
      { email: 'admin@example.test', password: 'admin-password-1' },
      { name: 'Cluster sale', capacity: 30, maxTicketsPerUser: 4 },
    );
    const buyers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const email = `cluster-${i}-${Date.now()}@example.test`;
        const reg = await json(base, '/api/v1/auth/register', {
          method: 'POST',
          body: { email, password: 'password123', name: `Buyer ${i}` },
        });
        expect(reg.status).toBe(201);
        return (reg.body.accessToken ??
          (
            await json(base, '/api/v1/auth/login', {
              method: 'POST',
              body: { email, password: 'password123' },
            })
          ).body.accessToken) as string;
      }),
    );
    const answers = await Promise.all(
      buyers.flatMap((token) =>
        [1, 2].map(() =>
          json(base, '/api/v1/bookings', { method: 'POST', token, body: { eventId, quantity: 2 } }),
        ),
      ),
    );
    const granted = answers.filter((a) => a.status === 201);
    expect(granted.reduce((sum, a) => sum + (a.body.quantity as number), 0)).toBe(30);
    expect(answers.filter((a) => a.status !== 201).map((a) => a.status)).toEqual(Array(9).fill(409));
    const inventory = await json(base, `/api/v1/admin/events/${eventId}/inventory`, { token: adminToken });
    expect(inventory.body.consistent).toBe(true);
    // Both workers took bookings (each request came on a new connection).
    expect(await countedBy(base, 'method="POST",route="/api/v1/bookings"')).toEqual(['1', '2']);

    // Login attempts count once for the deployment, not per worker: with 40 a minute per address,
    // the address's 41st attempt (13 sign-ups and logins above, then guesses at one password,
    // each on a new connection, so spread over both workers) is refused, though neither worker
    // saw more than about half of them.
    const guessed = `guessed-${Date.now()}@example.test`;
    const guesses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const answer = await json(base, '/api/v1/auth/login', {
        method: 'POST',
        body: { email: guessed, password: `wrong-password-${i}` },
      });
      guesses.push(answer.status);
    }
    expect(guesses).toEqual([...Array(27).fill(401), ...Array(3).fill(429)]);
    expect(await countedBy(base, 'method="POST",route="/api/v1/auth/login",status="401"')).toEqual([
      '1',
      '2',
    ]);

    // A worker that dies is replaced; the port keeps answering meanwhile.
    process.kill(firstWorkers[0] as number, 'SIGKILL');
    await until('a new worker replaces the killed one', () => {
      const now = workerPids(pid);
      return now.length === 2 && !now.includes(firstWorkers[0] as number);
    });
    expect(supervisor.output()).toMatch(/worker \d+ stopped \(SIGKILL\); starting another/);
    await until('the new worker reports', async () => (await workersInMetrics(base)).has('3'));
    expect((await workersInMetrics(base)).size).toBe(2); // the killed worker's series are gone
    expect((await json(base, '/health/ready')).status).toBe(200);

    // SIGTERM to the supervisor alone: workers drain, the embedded database stops, exit code 0.
    const workers = workerPids(pid);
    expect(await stop(supervisor)).toBe(0);
    for (const worker of workers) expect(existsSync(`/proc/${worker}`)).toBe(false);
    expect(existsSync(path.join(clusterDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(supervisor.output()).not.toContain('Error');

    // Stopped while its workers are still loading: they get the message once they listen, and
    // nobody has to be killed.
    const early = start(clusterEnv, 'built');
    running.push(early);
    await until('the workers are forked', () => workerPids(early.child.pid as number).length > 0, 60_000);
    expect(await stop(early)).toBe(0);
    expect(early.output()).not.toMatch(/did not stop|Evently is running/);

    // More pools than PostgreSQL accepts (300 connections for the embedded one): one clear line,
    // before any worker starts.
    const tooMany = start({ ...clusterEnv, WORKERS: '64', DB_POOL_SIZE: '20' }, 'built');
    running.push(tooMany);
    expect(await tooMany.exited).toBe(1);
    expect(tooMany.output()).toMatch(
      /WORKERS=64 x \(DB_POOL_SIZE=20 \+ BOOKING_PIPELINES=4 \+ 1 listener\) = 1600 connections/,
    );
    expect(tooMany.output()).not.toContain('Evently is running');
    expect(existsSync(path.join(clusterDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 180_000);
});
