import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, withDatabase } from '../src/adapters/pg/embedded.js';
import { migrate } from '../src/adapters/pg/migrate.js';

export interface BenchDatabase {
  /** URL of the fresh, migrated bench database. */
  url: string;
  /** Where it runs, for the report. */
  kind: 'DATABASE_URL' | 'embedded';
  serverVersion: string;
  /** Drops the database (DATABASE_URL) or stops the embedded server and removes its folder. */
  close(): Promise<void>;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'roadmap-bot bench' });
  c.on('error', () => {}); // surfaces as the failing query instead
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A fresh database for one bench run: `roadmap_bench_<random>` on DATABASE_URL's server, or an
 * embedded PostgreSQL in a temp dir. Never the app's own database.
 */
export async function openBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const name = `roadmap_bench_${randomBytes(4).toString('hex')}`;
  let adminUrl = process.env.DATABASE_URL;
  let stopServer: (() => Promise<void>) | undefined;
  let tmp: string | undefined;
  const kind = adminUrl ? 'DATABASE_URL' : 'embedded';

  const cleanup = async (): Promise<void> => {
    if (stopServer) {
      // The whole cluster goes away with its directory: nothing to drop first.
      await stopServer();
      if (tmp) await fs.rm(tmp, { recursive: true, force: true });
    } else if (adminUrl) {
      await withClient(adminUrl, (c) =>
        c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`),
      );
    }
  };

  try {
    if (!adminUrl) {
      tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-bench-'));
      log(`starting an embedded PostgreSQL in ${tmp}`);
      const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'data') });
      stopServer = () => server.stop();
      adminUrl = server.url;
    }
    const admin = adminUrl;
    await withClient(admin, (c) =>
      c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE template0`),
    );
    const url = withDatabase(admin, name);
    await migrate(url);
    const serverVersion = await withClient(
      url,
      async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '?',
    );
    return { url, kind, serverVersion, close: cleanup };
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}
