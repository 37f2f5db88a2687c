import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

/** The project's migrations/, found from this file so it works whatever the cwd. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/**
 * Applies pending migrations; returns the names applied by this call (empty when up to date).
 * Safe to run from several replicas at once: the advisory lock makes the others wait, and they
 * then find nothing left to do.
 */
export async function migrate(
  databaseUrl: string,
  opts: { log?: (msg: string) => void } = {},
): Promise<string[]> {
  const log = opts.log ?? (() => {});
  // Our own client (rather than databaseUrl) so that a dropped connection is an error we handle
  // instead of an unhandled 'error' event, and so the session is recognisable in pg_stat_activity.
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'roadmap-bot migrate',
  });
  client.on('error', (err) => log(`migration connection error: ${err.message}`));
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: path.resolve(MIGRATIONS_DIR),
      direction: 'up',
      migrationsTable: 'pgmigrations',
      checkOrder: true,
      advisoryLockMode: 'wait',
      // All pending migrations or none (the library's default is one transaction per file).
      singleTransaction: true,
      logger: { info: log, warn: log, error: log },
    });
    return applied.map((m) => m.name);
  } finally {
    await client.end();
  }
}
