// Boots the real `npm start` path (build, embedded PostgreSQL, migrations, demo data, listen)
// with no DATABASE_URL, as a new user would, then restarts it to show the data survives.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
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

describe('npm start on a fresh machine (embedded PostgreSQL)', () => {
  // Inside the project, like the default .data/ a new user gets.
  const dataDir = path.join(projectRoot, '.data', `start-test-${process.pid}`);
  const running: Started[] = [];
  afterAll(async () => {
    for (const s of running) await stop(s, true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, serves demo events, the docs and the web app, and keeps data across a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(55400 + (process.pid % 500)),
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
});
