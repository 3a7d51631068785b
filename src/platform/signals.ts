// Cross-process signals over PostgreSQL LISTEN/NOTIFY: "seats of these ticket types came back"
// (sales reopen at once everywhere) and "this event changed" (drop cached copies). Notifications
// are sent inside the transaction that caused them, so they are delivered exactly when it commits.
import pg from 'pg';

export const INVENTORY_CHANNEL = 'evently_inventory';
export const EVENTS_CHANNEL = 'evently_events';

type Handler = (payload: string) => void;

export class PgSignals {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly handlers = new Map<string, Handler[]>();

  constructor(
    private readonly connectionString: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  on(channel: string, handler: Handler): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  async start(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'evently-listener',
    });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.onError(error);
      this.reconnectLater();
    });
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    this.client = client;
  }

  private reconnectLater(): void {
    if (this.stopped || this.retry) return;
    this.client?.end().catch(() => {});
    this.client = undefined;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start().catch((error) => {
        this.onError(error);
        this.reconnectLater();
      });
    }, 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => {});
  }
}
