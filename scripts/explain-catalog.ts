// Loads a million events (and their ticket types) into a scratch database and prints the query
// plans of the catalog's list and detail queries, for docs/catalog-indexes.md.
// Usage: npx tsx scripts/explain-catalog.ts [postgres-admin-url]
import pg from 'pg';
import { adminQuery, databaseUrl } from '../src/platform/db/admin.js';
import { createDb, migrateToLatest } from '../src/platform/db/database.js';

const adminUrl = process.argv[2] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = 'evently_explain_catalog';

await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
await adminQuery(adminUrl, `CREATE DATABASE ${dbName}`);
const url = databaseUrl(adminUrl, dbName);
const handle = createDb(url, 2);
await migrateToLatest(handle.db);
await handle.close();

const client = new pg.Client({ connectionString: url });
await client.connect();
const started = Date.now();
await client.query(`
  INSERT INTO events (name, description, category, venue_name, venue_city, starts_at, status, max_tickets_per_user, hold_ttl_seconds)
  SELECT 'Event ' || g || ' ' || (ARRAY['Rock','Jazz','Opera','Chess','Comedy','Summit','Expo','Derby'])[1 + g % 8],
         'Description of event ' || g,
         (ARRAY['music','sports','theatre','conference','comedy'])[1 + g % 5],
         'Venue ' || (g % 5000),
         (ARRAY['Lisbon','Berlin','London','Paris','Madrid','Rome','Vienna','Prague','Oslo','Dublin'])[1 + g % 10],
         now() - interval '365 days' + (g % 730) * interval '1 day' + (g % 1440) * interval '1 minute',
         CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 50 = 1 THEN 'cancelled' ELSE 'published' END,
         10, 300
    FROM generate_series(1, 1000000) AS g`);
await client.query(`
  INSERT INTO ticket_types (event_id, name, price_cents, currency, capacity, available, position)
  SELECT id, t.name, t.price, 'EUR', 100, 100, t.pos
    FROM events CROSS JOIN (VALUES ('Standard', 2500, 0), ('VIP', 9000, 1)) AS t(name, price, pos)`);
await client.query('ANALYZE');
console.log(
  `loaded 1,000,000 events and 2,000,000 ticket types in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);

const anEvent = (
  await client.query(
    `SELECT id FROM events WHERE status = 'published' AND starts_at > now() LIMIT 1 OFFSET 5000`,
  )
).rows[0].id;
const queries: [string, string, unknown[]][] = [
  [
    'List, first page (published, from now, soonest first)',
    `SELECT * FROM events WHERE status = 'published' AND starts_at >= now() ORDER BY starts_at, id LIMIT 21`,
    [],
  ],
  [
    'List, a later page (keyset cursor)',
    `SELECT * FROM events WHERE status = 'published' AND starts_at >= now() AND (starts_at, id) > (now() + interval '200 days', '00000000-0000-0000-0000-000000000000'::uuid) ORDER BY starts_at, id LIMIT 21`,
    [],
  ],
  [
    'List filtered by city',
    `SELECT * FROM events WHERE status = 'published' AND starts_at >= now() AND lower(venue_city) = 'oslo' ORDER BY starts_at, id LIMIT 21`,
    [],
  ],
  [
    'List filtered by category',
    `SELECT * FROM events WHERE status = 'published' AND starts_at >= now() AND lower(category) = 'theatre' ORDER BY starts_at, id LIMIT 21`,
    [],
  ],
  [
    'Text search q=opera (trigram index)',
    `SELECT * FROM events WHERE status = 'published' AND starts_at >= now() AND search_text LIKE '%opera 12345%' ORDER BY starts_at, id LIMIT 21`,
    [],
  ],
  [
    'Ticket types of a page of events',
    `SELECT * FROM ticket_types WHERE event_id = ANY($1::uuid[]) ORDER BY event_id, position`,
    [[anEvent]],
  ],
  ['Detail by id', `SELECT * FROM events WHERE id = $1`, [anEvent]],
];
for (const [title, text, params] of queries) {
  const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, params);
  console.log(
    `### ${title}\n\`\`\`sql\n${text}\n\`\`\`\n\`\`\`\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\`\n`,
  );
}
await client.end();
await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
