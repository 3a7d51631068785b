// More than one accept per event-loop turn for the listening socket of a single HTTP process.
//
// Since libuv 1.45 (Node 20) a listening handle accepts one connection per event-loop turn
// (libuv/libuv#3696) and relies on the socket staying readable to be called again the next turn.
// In an on-sale a turn serves hundreds of ready requests and lasts 50-200 ms, so new buyers'
// connections wait in the kernel's accept queue, accepted at 10-40 a second: in the bench, hundreds
// of the connections opened at 1,000 got no answer for 10 s while the server was busy with the rest.
//
// Node 20 has no SO_REUSEPORT for listen(), but a listening socket sent over an IPC channel
// arrives as a new descriptor of the same socket (how node:cluster shares a port), and a handle on
// it is one more accept per turn. A short-lived child process gets the socket's handle and sends it
// back `extra` times. The raw handle travels, not the net.Server: a child receiving a server
// would listen on it (and could accept, then drop, connections while it lives) with the default
// backlog of 511, which would shrink the socket's accept queue for everyone. The handles re-listen
// with the server's own backlog and give every connection to the HTTP server ('connection' is the
// documented way to inject a socket), counted as the server's own: node:net's close() calls back
// when its connection count reaches 0, and graceful shutdown relies on that to answer every request
// in flight before the pool closes. When idle, a new connection wakes every handle and all but one
// find nothing to accept: one failed accept() each.
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { Server, type Socket } from 'node:net';

/**
 * The accept backlog of the HTTP port. An on-sale opens with a burst of new connections; Node's
 * default (511) drops the excess and those buyers wait a full SYN retry (1 s). The kernel caps it
 * at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/** The extra handles of one listening server; close them with the server. */
export interface AcceptHandles {
  readonly count: number;
  /** Connections these handles accepted and gave to the server. */
  readonly accepted: number;
  close(): void;
}

const CHILD_SOURCE = `
process.on('message', (message, handle) => {
  if (!handle) return;
  for (let i = 0; i < message.extra; i++) process.send('handle', handle);
});`;

/** What node:net keeps of a listening server, and what an IPC channel sends of it. */
type WithHandle = { _handle?: object | null };

/**
 * node:net's count of a server's open connections: close() calls back once it reaches 0, and a
 * socket decrements its `_server`'s count when it closes.
 */
type Counted = { _connections: number };
type Owned = { server: Server; _server?: Server };

const counted = (server: Server) => server as unknown as Counted;

const viaExtraHandle = new WeakSet<Socket>();

/** Whether an extra handle, not the server's own, accepted this connection (for tests and logs). */
export const acceptedByExtraHandle = (socket: Socket): boolean => viaExtraHandle.has(socket);

/**
 * Adds up to `extra` accept handles to the listening `server`, whose socket was opened with
 * `backlog`. On a failure or after `timeoutMs` it keeps what arrived and reports the rest to
 * `onError`; the helper process is gone when this resolves.
 */
export function addAcceptHandles(
  server: Server,
  extra: number,
  backlog: number,
  options: { timeoutMs?: number; onError?: (error: Error) => void } = {},
): Promise<AcceptHandles> {
  const handle = (server as unknown as WithHandle)._handle;
  // Without node:net's connection count the server's close() could not wait for the connections
  // these handles accept: then keep to the server's own handle.
  if (extra <= 0 || !server.listening || !handle || typeof counted(server)._connections !== 'number')
    return Promise.resolve(handlesOf([]));
  return new Promise((resolve) => {
    const received: Server[] = [];
    const tally = { accepted: 0 };
    // Connections a handle accepts after the HTTP server stopped listening are turned away, as
    // the closed socket would have. The others become the server's own, as if its handle had
    // accepted them, so that its close() drains them too (graceful shutdown waits for answers).
    const forward = (socket: Socket) => {
      if (!server.listening) {
        socket.destroy();
        return;
      }
      const owned = socket as unknown as Owned;
      counted(owned.server)._connections--;
      owned.server = server;
      owned._server = server;
      counted(server)._connections++;
      tally.accepted++;
      viaExtraHandle.add(socket);
      server.emit('connection', socket);
    };
    const child = spawn(process.execPath, ['-e', CHILD_SOURCE], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) options.onError?.(error);
      const handles = handlesOf(received, tally);
      // The server was closed while they were on their way (a stop during start-up).
      if (!server.listening) handles.close();
      // The helper holds a descriptor of the socket until it exits: wait for that, so a closed
      // server's port is really closed when this resolves.
      if (child.exitCode !== null || child.signalCode !== null) resolve(handles);
      else {
        child.once('exit', () => resolve(handles));
        child.kill();
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`${received.length} of ${extra} accept handles arrived in time`)),
      options.timeoutMs ?? 5000,
    );
    child.on('message', (message, raw) => {
      if (message !== 'handle' || !raw || settled) return;
      const extraServer = new Server(forward);
      extraServer.on('error', (error) => options.onError?.(error));
      extraServer.listen(raw, backlog);
      received.push(extraServer);
      if (received.length === extra) finish();
    });
    child.on('error', finish);
    child.on('exit', () =>
      finish(new Error(`the accept-handle helper exited after ${received.length} of ${extra}`)),
    );
    // Sending the listening server's handle itself: see the note at the top.
    child.send({ extra }, handle as never, (error) => {
      if (error) finish(error);
    });
  });
}

function handlesOf(servers: Server[], tally = { accepted: 0 }): AcceptHandles {
  return {
    count: servers.length,
    get accepted() {
      return tally.accepted;
    },
    // Stops accepting at once: the socket closes with the last of its descriptors.
    close: () => {
      for (const s of servers) if (s.listening) s.close();
    },
  };
}

/**
 * The listening server of an HTTP process gets `handles` accept handles in all (ACCEPT_HANDLES),
 * its own among them, without making start-up wait for the rest (~150 ms for the helper process):
 * the server answers on its own handle meanwhile. close() works before they have arrived too. A
 * cluster worker gets none: its connections come from the supervisor, which accepts them in a loop
 * of its own.
 */
export function startAcceptHandles(
  server: Server,
  handles: number,
  backlog: number,
  onError: (error: Error) => void,
): AcceptHandles {
  if (cluster.isWorker || handles <= 1) return handlesOf([]);
  let arrived: AcceptHandles | undefined;
  let closed = false;
  addAcceptHandles(server, handles - 1, backlog, { onError }).then((added) => {
    arrived = added;
    if (closed) added.close();
  }, onError);
  return {
    get count() {
      return arrived?.count ?? 0;
    },
    get accepted() {
      return arrived?.accepted ?? 0;
    },
    close: () => {
      closed = true;
      arrived?.close();
    },
  };
}
