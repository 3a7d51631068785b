// Pipelined PostgreSQL connections for the allocation lanes (docs/performance.md, "Pipelined
// allocation").
//
// A pg client in pipeline mode writes a query while the ones before it are still running, and
// PostgreSQL runs them one after the other on its one backend, each in its own implicit
// transaction (each ends with its own Sync). A lane can therefore hand the next batch to the
// database while the current one executes, without a second writer: the batches of a ticket type
// still run one at a time, in the order they were sent, on one backend. The database no longer
// waits for this process's event loop to read one batch's answer before it can start the next.
//
// Only single statements belong here. A transaction on a pipelined connection would take in the
// statements queued behind its BEGIN; a lane runs a batch that needs one alone, on the pool.
import pg from 'pg';
import { type Db, kyselyOver } from './database.js';

interface Slot {
  client: pg.Client | undefined;
  connecting: Promise<pg.Client> | undefined;
  db: Db;
  /** Lanes using this slot now. */
  users: number;
}

export interface PipelineLease {
  db: Db;
  release(): void;
}

export class PipelinedConnections {
  private readonly slots: Slot[];
  private closed = false;

  constructor(
    private readonly connectionString: string,
    count: number,
  ) {
    this.slots = Array.from({ length: count }, () => this.newSlot());
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * The least used connection, for one lane as long as it runs: lanes of different ticket types
   * share a connection (and take turns on its backend) only when there are more of them than
   * connections.
   */
  lease(): PipelineLease {
    let slot = this.slots[0] as Slot;
    for (const candidate of this.slots) if (candidate.users < slot.users) slot = candidate;
    slot.users++;
    let released = false;
    return {
      db: slot.db,
      release: () => {
        if (released) return;
        released = true;
        slot.users--;
      },
    };
  }

  /** Every connection's Kysely instance (to warm them at start-up). */
  all(): Db[] {
    return this.slots.map((s) => s.db);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const client = slot.client ?? (await slot.connecting?.catch(() => undefined));
        slot.client = undefined;
        await client?.end().catch(() => {});
      }),
    );
  }

  private newSlot(): Slot {
    const slot: Slot = { client: undefined, connecting: undefined, users: 0, db: undefined as unknown as Db };
    // Kysely asks its pool for a connection per query; every query of this slot gets the same
    // pipelined client, concurrently, and "releasing" it does nothing.
    const pool = {
      connect: async () => slot.client ?? this.connect(slot),
      end: async () => {},
    };
    slot.db = kyselyOver(pool as unknown as pg.Pool);
    return slot;
  }

  private connect(slot: Slot): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('pipelined connections are closed'));
    slot.connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.connectionString,
        application_name: 'evently-allocation',
        pipeline: true,
      } as pg.ClientConfig);
      // A lost connection fails the queries on it (their lanes retry them) and the next query
      // connects again.
      const forget = () => {
        if (slot.client === client) slot.client = undefined;
      };
      Object.assign(client, { release: () => {} });
      client.on('error', forget);
      client.on('end', forget);
      // A FATAL error (the backend was terminated, the server is shutting down) fails the query
      // it interrupts before the socket's end arrives; forgetting the client now sends that
      // query's retries to a new connection instead of behind it on the dying one.
      (client as unknown as { connection: NodeJS.EventEmitter }).connection.on(
        'errorMessage',
        (message: { severity?: string }) => {
          if (message.severity === 'FATAL' || message.severity === 'PANIC') forget();
        },
      );
      try {
        await client.connect();
      } catch (error) {
        slot.connecting = undefined;
        throw error;
      }
      slot.client = client;
      slot.connecting = undefined;
      return client;
    })();
    return slot.connecting;
  }
}
