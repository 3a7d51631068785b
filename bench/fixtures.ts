// What the scenarios need before they run: buyers and an admin (inserted directly, thousands at
// once, with one shared argon2 hash), their access tokens (signed with the server's secret, as a
// login would), and events created through the admin API.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { hashPassword } from '../src/modules/auth/passwords.js';
import { TokenSigner } from '../src/modules/auth/tokens.js';
import type { Db } from '../src/platform/db/database.js';

export const BENCH_PASSWORD = 'bench-password-1';

export interface Buyer {
  id: string;
  token: string;
}

export class Fixtures {
  private readonly signer: TokenSigner;
  private readonly runId = randomUUID().slice(0, 8);
  private passwordHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    jwtSecret: string,
  ) {
    this.signer = new TokenSigner(jwtSecret);
  }

  /** Inserts `count` buyers in one statement and returns them with fresh access tokens. */
  async createBuyers(label: string, count: number): Promise<Buyer[]> {
    this.passwordHash ??= hashPassword(BENCH_PASSWORD);
    const hash = await this.passwordHash;
    const prefix = `bench-${this.runId}-${label}-`;
    const { rows } = await sql<{ id: string }>`
      INSERT INTO users (email, name, password_hash)
      SELECT ${prefix} || g || '@bench.evently.test', 'Bench buyer ' || g, ${hash}
        FROM generate_series(1, ${count}::int) AS g
      RETURNING id`.execute(this.db);
    return this.withTokens(rows.map((r) => r.id));
  }

  /** Access tokens expire after 15 minutes; scenarios re-sign before they start. */
  async withTokens(ids: string[]): Promise<Buyer[]> {
    const buyers: Buyer[] = [];
    for (const id of ids) buyers.push({ id, token: await this.signer.sign({ userId: id, role: 'user' }) });
    return buyers;
  }

  async refresh(buyers: Buyer[]): Promise<Buyer[]> {
    return this.withTokens(buyers.map((b) => b.id));
  }

  async createAdmin(): Promise<Buyer> {
    this.passwordHash ??= hashPassword(BENCH_PASSWORD);
    const row = await this.db
      .insertInto('users')
      .values({
        email: `bench-${this.runId}-admin@bench.evently.test`,
        name: 'Bench admin',
        passwordHash: await this.passwordHash,
        role: 'admin',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, token: await this.signer.sign({ userId: row.id, role: 'admin' }) };
  }

  async adminToken(admin: Buyer): Promise<string> {
    return this.signer.sign({ userId: admin.id, role: 'admin' });
  }
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = unknown>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; expect?: number } = {},
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    const body = (text ? JSON.parse(text) : undefined) as T;
    if (options.expect !== undefined && response.status !== options.expect) {
      throw new Error(
        `${method} ${path}: expected ${options.expect}, got ${response.status} ${text.slice(0, 300)}`,
      );
    }
    return { status: response.status, body };
  }
}

export interface CreatedEvent {
  id: string;
  ticketTypeId: string;
  capacity: number;
}

const CITIES = ['Lisbon', 'Porto', 'Berlin', 'Madrid', 'Paris', 'Amsterdam'];
const CATEGORIES = ['music', 'theatre', 'sport', 'comedy'];

export async function createEvent(
  api: Api,
  adminToken: string,
  input: { name: string; capacity: number; daysAhead: number; maxTicketsPerUser?: number; index?: number },
): Promise<CreatedEvent> {
  const index = input.index ?? 0;
  const { body } = await api.request<{ id: string; ticketTypes: { id: string }[] }>(
    'POST',
    '/api/v1/admin/events',
    {
      token: adminToken,
      expect: 201,
      body: {
        name: input.name,
        description: `${input.name}: an event created by the Evently benchmark.`,
        category: CATEGORIES[index % CATEGORIES.length],
        venue: {
          name: `Bench Hall ${index + 1}`,
          city: CITIES[index % CITIES.length],
          address: `${index + 1} Bench Street`,
        },
        startsAt: new Date(Date.now() + input.daysAhead * 24 * 3600 * 1000).toISOString(),
        maxTicketsPerUser: input.maxTicketsPerUser ?? 10,
        // Longer than the run: no hold expires mid-scenario, so sold counts stay put for the checks.
        holdTtlSeconds: 3600,
        ticketTypes: [
          { name: 'General admission', priceCents: 4500, currency: 'EUR', capacity: input.capacity },
        ],
      },
    },
  );
  const ticketTypeId = body.ticketTypes[0]?.id;
  if (!ticketTypeId) throw new Error(`event ${input.name} came back without a ticket type`);
  return { id: body.id, ticketTypeId, capacity: input.capacity };
}
