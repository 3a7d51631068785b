// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
import 'dotenv/config';
import { loadConfig } from '../platform/config.js';
import { createDb, migrateToLatest } from '../platform/db/database.js';
import { startEmbeddedPostgres } from '../platform/db/embedded.js';

const config = loadConfig();
const embedded = config.databaseUrl
  ? undefined
  : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
const handle = createDb(config.databaseUrl ?? (embedded?.url as string), 2);
try {
  const applied = await migrateToLatest(handle.db);
  process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date\n');
} finally {
  await handle.close();
  await embedded?.stop();
}
