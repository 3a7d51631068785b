// Server-level chores beside one application's database, for the tests, the bench and scripts:
// the URL of another database on the same server, and one statement on a connection of its own
// (CREATE and DROP DATABASE cannot run inside a transaction or on a pooled connection in use),
// answering its rows.
import pg from 'pg';

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  serverUrl: string,
  statement: string,
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query<Row>(statement)).rows;
  } finally {
    await client.end();
  }
}
