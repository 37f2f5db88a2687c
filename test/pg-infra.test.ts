import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  ensureDatabase,
  startEmbeddedPostgres,
  withDatabase,
  type EmbeddedPostgres,
} from '../src/adapters/pg/embedded.js';
import { migrate, MIGRATIONS_DIR } from '../src/adapters/pg/migrate.js';
import { createPool } from '../src/adapters/pg/pool.js';
import { useTestDatabase } from './support/db.js';

/** Every migration file, in order: what a fresh database must end up with. */
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => f.replace(/\.sql$/, ''));

const FOUNDATION_TABLES = [
  'audit_log',
  'gate_checks',
  'metric_points',
  'stage_transitions',
  'target_met',
];

const a = useTestDatabase();
const b = useTestDatabase();

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** A brand-new, unmigrated database on the test server, dropped after the test. */
const scratch: string[] = [];
async function emptyDatabase(): Promise<string> {
  const name = `${inject('pgDatabasePrefix')}scratch_${randomBytes(4).toString('hex')}`;
  scratch.push(name);
  return ensureDatabase(inject('pgAdminUrl'), name);
}
afterEach(async () => {
  for (const name of scratch.splice(0)) {
    await query(
      inject('pgAdminUrl'),
      `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`,
    );
  }
});

describe('test databases', () => {
  it('are cloned from a migrated template that has the foundation tables', async () => {
    expect(await tables(a.url)).toEqual(
      expect.arrayContaining([...FOUNDATION_TABLES, 'pgmigrations']),
    );
    const applied = await a.pool.query<{ name: string }>(
      'SELECT name FROM pgmigrations ORDER BY id',
    );
    expect(applied.rows.map((r) => r.name)).toEqual(MIGRATIONS);

    const [template] = await query<{ datistemplate: boolean; datallowconn: boolean }>(
      inject('pgAdminUrl'),
      'SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1',
      [inject('pgTemplate')],
    );
    expect(template).toEqual({ datistemplate: true, datallowconn: false });
  });

  it('are isolated from each other', async () => {
    expect(a.url).not.toEqual(b.url);
    await a.pool.query(
      `INSERT INTO metric_points (roadmap_id, metric, at, value) VALUES ('r', 'mrr', now(), 1)`,
    );
    const inA = await a.pool.query('SELECT count(*) AS n FROM metric_points');
    const inB = await b.pool.query('SELECT count(*) AS n FROM metric_points');
    expect(inA.rows[0]).toEqual({ n: 1 }); // int8 count comes back as a number
    expect(inB.rows[0]).toEqual({ n: 0 });
  });
});

describe('migrate()', () => {
  it('applies nothing on an already migrated database', async () => {
    expect(await migrate(a.url)).toEqual([]);
  });

  it('applies every migration to a brand-new database, then nothing', async () => {
    const url = await emptyDatabase();
    expect(await tables(url)).toEqual([]);
    const lines: string[] = [];
    expect(await migrate(url, { log: (l) => lines.push(l) })).toEqual(MIGRATIONS);
    expect(await tables(url)).toEqual(
      expect.arrayContaining([...FOUNDATION_TABLES, 'pgmigrations']),
    );
    expect(lines.join('\n')).toContain('0001_foundation');
    expect(await migrate(url)).toEqual([]);
  });

  it('applies each migration once when replicas migrate concurrently', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.flat()).toEqual(MIGRATIONS);
    const runs = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pgmigrations');
    expect(runs[0]?.n).toBe(MIGRATIONS.length);
  });
});

describe('ensureDatabase()', () => {
  it('creates a missing database once and returns its URL', async () => {
    const name = `${inject('pgDatabasePrefix')}scratch_${randomBytes(4).toString('hex')}`;
    scratch.push(name);
    const urls = await Promise.all([
      ensureDatabase(inject('pgAdminUrl'), name),
      ensureDatabase(inject('pgAdminUrl'), name),
    ]);
    expect(urls[0]).toBe(withDatabase(inject('pgAdminUrl'), name));
    expect(urls[1]).toBe(urls[0]);
    expect(await ensureDatabase(inject('pgAdminUrl'), name)).toBe(urls[0]);
    const [row] = await query<{ db: string }>(urls[0], 'SELECT current_database() AS db');
    expect(row?.db).toBe(name);
  });
});

describe.skipIf(Boolean(process.env.DATABASE_URL))(
  'embedded PostgreSQL (skipped when DATABASE_URL is set: the tests then use that server)',
  () => {
    const dirs: string[] = [];
    const servers: EmbeddedPostgres[] = [];
    afterEach(async () => {
      for (const s of servers.splice(0)) await s.stop();
      for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
    });

    async function start(dataDir: string): Promise<EmbeddedPostgres> {
      const server = await startEmbeddedPostgres({ dataDir });
      servers.push(server);
      return server;
    }
    async function tempDataDir(): Promise<string> {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-embedded-test-'));
      dirs.push(dir);
      return path.join(dir, 'data');
    }

    it('keeps data across stop and start on the same directory', async () => {
      const dataDir = await tempDataDir();
      const first = await start(dataDir);
      const pool = createPool(first.url, { max: 1 });
      await pool.query('CREATE TABLE kept (v text)');
      await pool.query(`INSERT INTO kept VALUES ('still here')`);
      await pool.end();
      await first.stop();
      await first.stop(); // idempotent

      const second = await start(dataDir);
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    });

    it('starts again on the directory of a server killed with SIGKILL', async () => {
      const dataDir = await tempDataDir();
      const first = await start(dataDir);
      await query(first.url, `CREATE TABLE kept AS SELECT 'committed' AS v`);
      // A busy session, so that the kill leaves an orphaned backend behind for a moment.
      const busy = new pg.Client({ connectionString: first.url });
      busy.on('error', () => {});
      await busy.connect();
      const sleeping = busy.query('SELECT pg_sleep(60)').catch(() => 'terminated');

      const pid = Number.parseInt(
        (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
        10,
      );
      process.kill(pid, 'SIGKILL');
      await first.stop(); // resolves although the server is already gone
      expect(await sleeping).toBe('terminated');

      const second = await start(dataDir);
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'committed' }]);
    });

    it('refuses a data directory that a running server already uses', async () => {
      const dataDir = await tempDataDir();
      await start(dataDir);
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already running/);
    });
  },
);
