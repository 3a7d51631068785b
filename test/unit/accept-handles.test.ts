import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AcceptHandles,
  acceptedByExtraHandle,
  addAcceptHandles,
  startAcceptHandles,
} from '../../src/platform/http/accept-handles.js';

const BACKLOG = 4096;
const BURST = 20;

// Opens BURST connections to the port and exits once the kernel has completed all of them. It runs
// with execFileSync, so this process's event loop is stopped meanwhile and every one of them
// waits in the accept queue, as new buyers' connections do behind a busy turn.
const OPEN_BURST = `
const net = require('node:net');
let open = 0;
for (let i = 0; i < ${BURST}; i++)
  net.connect(Number(process.argv[1]), '127.0.0.1', () => { if (++open === ${BURST}) process.exit(0); });`;

// Says it is ready, then sends one GET on each of N new connections; exits 0 once all are 200.
const SEND_REQUESTS = `
const http = require('node:http');
const [port, n] = process.argv.slice(1).map(Number);
process.stdout.write('ready\\n');
let ok = 0;
for (let i = 0; i < n; i++)
  http.get({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 200 && ++ok === n) process.exit(0); });
  }).on('error', () => process.exit(1));`;

const servers: http.Server[] = [];
const handles: AcceptHandles[] = [];

async function listeningServer(): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('ok'));
  servers.push(server);
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG }, resolve),
  );
  return server;
}

const portOf = (server: http.Server) => (server.address() as { port: number }).port;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Connections the server accepts in one event-loop turn while a burst waits in the queue. */
async function acceptedInOneTurn(server: http.Server): Promise<number> {
  let accepted = 0;
  const count = () => accepted++;
  server.on('connection', count);
  execFileSync(process.execPath, ['-e', OPEN_BURST, String(portOf(server))]);
  // Whether the turn in progress polls again before its immediates is not ours to know: count
  // from one turn's end to the next.
  await nextTurn();
  const before = accepted;
  await nextTurn();
  server.off('connection', count);
  return accepted - before;
}

/** 'connected', or the error code of a connection attempt to the port. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

afterEach(async () => {
  for (const h of handles.splice(0)) h.close();
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

describe('extra accept handles for a busy HTTP process', () => {
  it('one listening handle accepts a single waiting connection per event-loop turn (the premise)', async () => {
    const server = await listeningServer();
    expect(await acceptedInOneTurn(server)).toBe(1);
  });

  it('with seven extra handles, a burst of waiting connections is accepted eight at a time', async () => {
    const server = await listeningServer();
    const extra = await addAcceptHandles(server, 7, BACKLOG);
    handles.push(extra);
    expect(extra.count).toBe(7);
    expect(await acceptedInOneTurn(server)).toBe(8);
  });

  it('serves every request that arrives through an extra handle, and stops accepting on close', async () => {
    const server = await listeningServer();
    const extra = await addAcceptHandles(server, 3, BACKLOG);
    handles.push(extra);
    const port = portOf(server);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => get(port)));
    expect(statuses).toEqual(Array(40).fill(200));

    extra.close();
    await new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
    servers.splice(servers.indexOf(server), 1);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
  });

  it('a closing server waits for the answers of connections an extra handle accepted', async () => {
    const REQUESTS = 20;
    let received = 0;
    let answered = 0;
    // The connections of extra handles are answered last: a close that did not wait for them
    // would call back before they are.
    const server = http.createServer((req, res) => {
      res.on('finish', () => answered++);
      setTimeout(() => res.end('ok'), acceptedByExtraHandle(req.socket) ? 500 : 100);
    });
    servers.push(server);
    server.on('request', () => received++);
    await new Promise<void>((resolve) =>
      server.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG }, resolve),
    );
    const extra = await addAcceptHandles(server, 7, BACKLOG);
    handles.push(extra);
    // Whose handle accepts a connection depends on the queue: a child connects and sends its
    // requests while this event loop is held up, so they wait in the queue and arrive together.
    const child = spawn(process.execPath, ['-e', SEND_REQUESTS, String(portOf(server)), String(REQUESTS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const until = performance.now() + 400;
    while (performance.now() < until);
    await vi.waitFor(() => expect(received).toBe(REQUESTS), { timeout: 5000, interval: 20 });

    const answeredAtClose = await new Promise<number>((resolve) => {
      for (const h of handles.splice(0)) h.close();
      server.close(() => resolve(answered));
    });
    servers.splice(servers.indexOf(server), 1);
    expect(extra.accepted, 'some connections came through an extra handle').toBeGreaterThan(0);
    expect(answeredAtClose).toBe(REQUESTS);
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('closes the handles at once when the server closes while they are on their way', async () => {
    const server = await listeningServer();
    const port = portOf(server);
    const pending = addAcceptHandles(server, 3, BACKLOG);
    await new Promise((resolve) => server.close(resolve));
    servers.splice(servers.indexOf(server), 1);
    const extra = await pending;
    handles.push(extra);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
  });

  it('in the background: start-up goes on at once, the handles join, and a close before they arrive holds', async () => {
    const server = await listeningServer();
    const errors: Error[] = [];
    const background = startAcceptHandles(server, 4, BACKLOG, (e) => errors.push(e));
    handles.push(background);
    expect(background.count).toBe(0);
    await vi.waitFor(() => expect(background.count).toBe(3), { timeout: 5000, interval: 10 });

    const other = await listeningServer();
    const port = portOf(other);
    const early = startAcceptHandles(other, 4, BACKLOG, (e) => errors.push(e));
    early.close();
    await new Promise((resolve) => other.close(resolve));
    servers.splice(servers.indexOf(other), 1);
    await vi.waitFor(async () => expect(await connectOutcome(port)).toBe('ECONNREFUSED'), {
      timeout: 5000,
      interval: 50,
    });
    expect(errors).toEqual([]);
  });

  it('adds nothing when asked for none, or when the server is not listening', async () => {
    const server = await listeningServer();
    expect((await addAcceptHandles(server, 0, BACKLOG)).count).toBe(0);
    const closed = http.createServer();
    expect((await addAcceptHandles(closed, 4, BACKLOG)).count).toBe(0);
  });
});
