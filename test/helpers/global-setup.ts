// Vitest global setup for database tests: one migrated template database per run; every test
// file clones it (CREATE DATABASE ... TEMPLATE), so files run in parallel without sharing rows.
import type { TestProject } from 'vitest/node';
import { createDb, migrateToLatest } from '../../src/platform/db/database.js';
import { adminQuery, databaseUrl, findTestServer } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await findTestServer();
  const template = `evently_tpl_${process.pid}`;
  await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${template}`);
  await adminQuery(server.adminUrl, `CREATE DATABASE ${template}`);
  const handle = createDb(databaseUrl(server.adminUrl, template), 2);
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  project.provide('pgAdminUrl', server.adminUrl);
  project.provide('pgTemplate', template);
  process.stdout.write(`[tests] PostgreSQL: ${server.kind} server (${new URL(server.adminUrl).host})\n`);

  return async () => {
    // Drop what this run created, including databases of files that crashed before cleaning up.
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: server.adminUrl });
    await client.connect();
    const rows = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `evently_t_${process.pid}_%`],
    );
    await client.end();
    for (const { datname } of rows.rows) {
      await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
    }
    await server.stop();
  };
}
