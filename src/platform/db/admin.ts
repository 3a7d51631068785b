// Server-level chores beside one application's database, for the tests, the bench and scripts:
// the URL of another database on the same server, and one statement on a connection of its own
// (CREATE and DROP DATABASE cannot run inside a transaction or on a pooled connection in use).
import pg from 'pg';

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
