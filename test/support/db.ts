import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { withDatabase } from '../../src/adapters/pg/embedded.js';
import { createPool } from '../../src/adapters/pg/pool.js';

export interface TestDatabase {
  /** URL of this test file's own, already migrated database. */
  readonly url: string;
  readonly pool: pg.Pool;
}

/**
 * Call at the top level of a test file: the file gets its own database, cloned from the migrated
 * template (fast, and isolated from files running in parallel), dropped after the file.
 */
export function useTestDatabase(): TestDatabase {
  let url: string | undefined;
  let pool: pg.Pool | undefined;
  let name: string | undefined;

  beforeAll(async () => {
    const admin = inject('pgAdminUrl');
    name = `${inject('pgDatabasePrefix')}${randomBytes(4).toString('hex')}`;
    await createFromTemplate(admin, name, inject('pgTemplate'));
    url = withDatabase(admin, name);
    pool = createPool(url, { max: 5, applicationName: 'roadmap-bot test' });
  });

  afterAll(async () => {
    await pool?.end();
    if (name)
      await adminQuery(
        inject('pgAdminUrl'),
        `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`,
      );
  });

  return {
    get url() {
      if (url === undefined)
        throw new Error('useTestDatabase(): url is only available in tests and hooks');
      return url;
    },
    get pool() {
      if (pool === undefined)
        throw new Error('useTestDatabase(): pool is only available in tests and hooks');
      return pool;
    },
  };
}

async function createFromTemplate(adminUrl: string, name: string, template: string): Promise<void> {
  const sql = `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await adminQuery(adminUrl, sql);
    } catch (err) {
      // 55006 "source database is being accessed by other users": only a brief overlap is
      // possible (connections to the template are disabled), so retry a little.
      if ((err as { code?: string }).code !== '55006' || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const c = new pg.Client({
    connectionString: adminUrl,
    application_name: 'roadmap-bot test setup',
  });
  c.on('error', () => {}); // surfaces as the failing query instead
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
