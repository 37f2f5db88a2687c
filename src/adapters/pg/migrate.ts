import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Queryable } from './db.js';

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
    // Loaded here, not at the top: node-pg-migrate costs ~0.2 s to load, and a CLI command on an
    // up-to-date database only needs migrationsUpToDate.
    const { runner } = await import('node-pg-migrate');
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

/**
 * Whether the database has run exactly the migrations in MIGRATIONS_DIR: one query, no lock and
 * no node-pg-migrate, for a CLI command that would otherwise pay for a full `migrate` on every
 * run. Any difference (a new file, a missing table) says false and the caller runs `migrate`,
 * which applies what is pending or reports what is wrong.
 */
export async function migrationsUpToDate(db: Queryable): Promise<boolean> {
  const [files, ran] = await Promise.all([
    // As node-pg-migrate names them: every file but dotfiles, its name without the extension.
    readdir(MIGRATIONS_DIR, { withFileTypes: true }).then((entries) =>
      entries
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.'))
        .map((e) => path.basename(e.name, path.extname(e.name))),
    ),
    db
      .query<{ name: string }>('SELECT name FROM pgmigrations')
      .then((r) => r.rows.map((row) => row.name))
      .catch((error: { code?: string }) => {
        if (error.code === '42P01') return undefined; // no pgmigrations yet: never migrated
        throw error;
      }),
  ]);
  if (ran === undefined || ran.length !== files.length) return false;
  const done = new Set(ran);
  return files.every((name) => done.has(name));
}
