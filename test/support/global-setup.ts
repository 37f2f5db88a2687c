import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import {
  startEmbeddedPostgres,
  withDatabase,
  type EmbeddedPostgres,
} from '../../src/adapters/pg/embedded.js';
import { migrate } from '../../src/adapters/pg/migrate.js';
import { build } from '../../scripts/build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser-ish URL (may CREATE/DROP DATABASE) of the server the tests use. */
    pgAdminUrl: string;
    /** Migrated database that every test file's database is cloned from. */
    pgTemplate: string;
    /** Prefix of this run's test databases, so teardown can drop those a killed worker left. */
    pgDatabasePrefix: string;
  }
}

export const TEMPLATE = 'roadmap_test_template';
const TMP_PREFIX = 'roadmap-bot-pg-';
/** The folder of this run's temp files: roadmap folders, CSVs, charts, e2e servers. */
const FILES_PREFIX = 'roadmap-bot-test-';
const OWNER_FILE = 'owner.pid';

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set (CI may bring its own server),
 * otherwise an embedded one in a fresh temp dir. Set PG_TEST_LOG=1 to see its log and timing.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const verbose = Boolean(process.env.PG_TEST_LOG);
  const say = (line: string): void => {
    if (verbose) process.stderr.write(`[pg] ${line}\n`);
  };

  let server: EmbeddedPostgres | undefined;
  let tmp: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  // Every temp file and folder the tests make goes under one folder of this run, removed at
  // teardown: workers and the processes tests spawn inherit TMPDIR, which os.tmpdir() reads.
  const root = os.tmpdir();
  const files = await fs.mkdtemp(path.join(root, FILES_PREFIX));
  await fs.writeFile(path.join(files, OWNER_FILE), String(process.pid));
  await fs.chmod(files, 0o755); // the unprivileged PostgreSQL user of the e2e test passes through
  process.env.TMPDIR = files;
  // The tests that start the CLI or the bot as processes run what users run, the compiled build
  // (dist/): built here when a source is newer, meanwhile PostgreSQL starts. Type errors do not
  // stop it (tsc emits anyway): they are `npm run typecheck`'s to report, as vitest never
  // type-checked. Concurrent runs take turns (scripts/build.ts locks).
  const building = build({ ifStale: true, allowTypeErrors: true }).then(
    (result) => {
      if (result.built) say(`built dist/ in ${Math.round(performance.now() - started)} ms`);
      if (result.typeErrors)
        process.stderr.write(
          `[build] dist/ emitted with type errors (npm run typecheck lists them):\n${result.typeErrors.split('\n').slice(0, 10).join('\n')}\n`,
        );
      return undefined;
    },
    (error: unknown) => error, // thrown below, once PostgreSQL is up (and so stopped on failure)
  );
  try {
    if (!adminUrl) {
      tmp = await fs.mkdtemp(path.join(root, TMP_PREFIX));
      await fs.writeFile(path.join(tmp, OWNER_FILE), String(process.pid));
      const [, s] = await Promise.all([
        reapAbandonedDirs(root),
        startEmbeddedPostgres({ dataDir: path.join(tmp, 'data'), onLog: say }),
      ]);
      server = s;
      adminUrl = server.url;
    }
    await createTemplate(adminUrl);
    const buildError = await building;
    if (buildError) throw buildError;
  } catch (err) {
    await building;
    await server?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(files, { recursive: true, force: true });
    throw err;
  }
  const prefix = `rt_${randomBytes(3).toString('hex')}_`;
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  project.provide('pgDatabasePrefix', prefix);
  say(
    `ready in ${Math.round(performance.now() - started)} ms (${server ? 'embedded' : 'DATABASE_URL'})`,
  );

  const admin = adminUrl;
  return async () => {
    await fs.rm(files, { recursive: true, force: true });
    if (server) {
      // The whole cluster goes away with its directory: nothing to drop first.
      await server.stop();
      if (tmp) await fs.rm(tmp, { recursive: true, force: true });
      return;
    }
    // A shared server: drop what this run made, including databases of killed workers whose
    // afterAll never ran.
    await withAdmin(admin, async (c) => {
      const { rows } = await c.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
        [prefix],
      );
      for (const { datname } of rows) {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(datname)} WITH (FORCE)`);
      }
      await dropTemplate(c);
    });
  };
}

async function createTemplate(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, async (c) => {
    // Always rebuilt, never reused: the migrations may have changed since it was made.
    await dropTemplate(c);
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(TEMPLATE)} TEMPLATE template0`);
  });
  await migrate(withDatabase(adminUrl, TEMPLATE));
  await withAdmin(adminUrl, async (c) => {
    // CREATE DATABASE … TEMPLATE fails while anyone is connected to the template, so nobody may.
    await c.query(
      `ALTER DATABASE ${c.escapeIdentifier(TEMPLATE)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
    );
  });
}

async function dropTemplate(c: pg.Client): Promise<void> {
  const name = c.escapeIdentifier(TEMPLATE);
  const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE]);
  if (!rowCount) return;
  await c.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`); // a template cannot be dropped
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'roadmap-bot test setup' });
  c.on('error', () => {}); // surfaces as the failing query instead
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Temp dirs of runs whose vitest process was killed (so teardown never ran). Removing the dir is
 * enough: an orphaned server notices its postmaster.pid is gone within a minute and shuts down.
 */
async function reapAbandonedDirs(root: string): Promise<void> {
  const entries = await fs.readdir(root).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => e.startsWith(TMP_PREFIX) || e.startsWith(FILES_PREFIX))
      .map(async (e) => {
        const dir = path.join(root, e);
        const owner = Number.parseInt(
          await fs.readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => ''),
          10,
        );
        if (!Number.isInteger(owner) || isAlive(owner)) return; // in use, or not ours to judge
        await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
      }),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
