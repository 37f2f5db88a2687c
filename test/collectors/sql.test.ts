import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pgSqlCollector, SqlRoleChecks } from '../../src/adapters/pg/sql-collector.js';
import { runDueCollectors } from '../../src/app/collectors/run.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const bot = useTestDatabase();
const product = useTestDatabase();
/** A database with the dblink extension installed. */
const linked = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
/** The SQL collector with the process's role verdicts, as the bot runs it. */
const sql = pgSqlCollector();
let app: AppDeps;
let env: Record<string, string>;

/** Roles are global to the server: named per run, dropped after the file. */
const suffix = randomBytes(3).toString('hex');
const READER = `rb_reader_${suffix}`; // SELECT on the product tables, nothing else
const WRITER = `rb_writer_${suffix}`; // an application role: it may also INSERT
const PASSWORD = `pw-${suffix}`;
/** `db`'s URL, connecting as `role`. */
const as = (db: { url: string }, role: string): string => {
  const url = new URL(db.url);
  url.username = role;
  url.password = PASSWORD;
  return url.toString();
};

/** A roadmap whose collectors misbehave on purpose. */
const HOSTILE = `
id: hostile
name: Collectors that misbehave
metrics:
  writes: { unit: count, source: { sql: "INSERT INTO chat_messages (user_id) VALUES (999) RETURNING 1", database: PRODUCT_DATABASE_URL, every: 1h } }
  two_statements: { unit: count, source: { sql: "SELECT 1; DELETE FROM chat_messages", database: PRODUCT_DATABASE_URL, every: 1h } }
  slow: { unit: count, source: { sql: "SELECT 1 FROM pg_sleep(5)", database: PRODUCT_DATABASE_URL, every: 1h } }
  two_columns: { unit: count, source: { sql: "SELECT 1, 2", database: PRODUCT_DATABASE_URL, every: 1h } }
  no_rows: { unit: count, source: { sql: "SELECT 1 WHERE false", database: PRODUCT_DATABASE_URL, every: 1h } }
  words: { unit: count, source: { sql: "SELECT 'many'", database: PRODUCT_DATABASE_URL, every: 1h } }
  huge: { unit: count, source: { sql: "SELECT 1e300::float8", database: PRODUCT_DATABASE_URL, every: 1h } }
  elsewhere: { unit: count, source: { sql: "SELECT 1", database: UNREACHABLE_DATABASE_URL, every: 1h } }
  unset: { unit: count, source: { sql: "SELECT 1", database: NOT_SET_DATABASE_URL, every: 1h } }
stages:
  - id: only
    name: Only
    upgrade: { when: writes > 1 or slow > 1 }
`;

const value = async (roadmap: string, metric: string) =>
  (
    await bot.pool.query(
      `SELECT value FROM metric_points WHERE roadmap_id = $1 AND metric = $2 ORDER BY at DESC LIMIT 1`,
      [roadmap, metric],
    )
  ).rows[0]?.value;
const health = async (metric: string) =>
  (
    await bot.pool.query(
      `SELECT failing_since, last_error FROM collector_state WHERE metric = $1`,
      [metric],
    )
  ).rows[0];

beforeAll(async () => {
  // The MIRAI document's product schema, as far as its daily-metrics queries read it.
  await product.pool.query(`
    CREATE TABLE analytics_events (id serial PRIMARY KEY, user_id int NOT NULL, response_time_ms int, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE chat_messages (id serial PRIMARY KEY, user_id int NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE subscription_history (id serial PRIMARY KEY, user_id int NOT NULL, amount numeric NOT NULL DEFAULT 0, status text NOT NULL);
    CREATE SCHEMA auth;
    CREATE TABLE auth.users (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO analytics_events (user_id, response_time_ms) VALUES (1, 120), (1, 180), (2, 300), (3, 200);
    INSERT INTO analytics_events (user_id, response_time_ms, created_at) VALUES (4, 100, now() - interval '3 days');
    INSERT INTO chat_messages (user_id) SELECT g % 3 FROM generate_series(1, 5) g;
    INSERT INTO subscription_history (user_id, amount, status) VALUES (1, 19, 'active'), (2, 49, 'active'), (2, 49, 'active'), (3, 99, 'cancelled');
  `);
  const dir = roadmapsFolder('mirai');
  writeFileSync(path.join(dir, 'hostile.yaml'), HOSTILE);
  app = await appWith(bot.pool, dir, clock);
  // What docs/SECURITY.md tells a team to create.
  const database = async (db: { pool: pg.Pool }) =>
    pg.escapeIdentifier(
      (await db.pool.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d,
    );
  await product.pool.query(`
    CREATE ROLE ${READER} LOGIN PASSWORD '${PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    ALTER ROLE ${READER} SET default_transaction_read_only = on;
    CREATE ROLE ${WRITER} LOGIN PASSWORD '${PASSWORD}';
    GRANT CONNECT ON DATABASE ${await database(product)} TO ${READER}, ${WRITER};
    GRANT USAGE ON SCHEMA public TO ${READER}, ${WRITER};
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}, ${WRITER};
    GRANT USAGE ON SCHEMA auth TO ${READER}, ${WRITER};
    GRANT SELECT ON auth.users TO ${READER}, ${WRITER};
    GRANT INSERT ON chat_messages TO ${WRITER};
  `);
  await linked.pool.query(`
    CREATE EXTENSION dblink;
    CREATE TABLE chat_messages (id serial PRIMARY KEY, user_id int NOT NULL);
    GRANT CONNECT ON DATABASE ${await database(linked)} TO ${READER}, ${WRITER};
    GRANT USAGE ON SCHEMA public TO ${READER}, ${WRITER};
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER};
    GRANT SELECT, INSERT ON chat_messages TO ${WRITER};
    GRANT USAGE ON SEQUENCE chat_messages_id_seq TO ${WRITER};
  `);
  env = {
    PRODUCT_DATABASE_URL: as(product, READER),
    UNREACHABLE_DATABASE_URL: 'postgres://nobody:x@127.0.0.1:9/none',
  };
});

afterAll(async () => {
  for (const db of [product, linked])
    await db.pool.query(`DROP OWNED BY ${READER}, ${WRITER}`).catch(() => undefined);
  await product.pool.query(`DROP ROLE IF EXISTS ${READER}, ${WRITER}`).catch(() => undefined);
});

beforeEach(async () => {
  await bot.pool.query('TRUNCATE metric_points, collector_state');
});

describe('SQL collectors', () => {
  it("run the MIRAI document's daily-metrics queries as written and record their numbers", async () => {
    await runDueCollectors(app, clock.now(), { env, timeoutMs: 500, sql });
    expect(await value('mirai', 'daily_active_users')).toBe(3);
    expect(await value('mirai', 'messages_per_day')).toBe(5);
    expect(await value('mirai', 'paying_users')).toBe(2);
    expect(await value('mirai', 'mrr')).toBe(117);
    const source = await bot.pool.query(
      `SELECT DISTINCT source FROM metric_points WHERE roadmap_id = 'mirai'`,
    );
    expect(source.rows).toEqual([{ source: 'sql' }]);
  });

  it('run once per schedule, whatever the number of replicas', async () => {
    const [a, b] = await Promise.all([
      runDueCollectors(app, clock.now(), { env, timeoutMs: 500, sql }),
      runDueCollectors(app, clock.now(), { env, timeoutMs: 500, sql }),
    ]);
    const collectors = [...app.registry.list()].flatMap((r) =>
      [...r.metrics.values()].filter((m) => m.source),
    ).length;
    expect(a.ran + b.ran).toBe(collectors);
    // Every 1h: half an hour later nothing is due; an hour later everything is.
    expect(
      (
        await runDueCollectors(app, new Date(clock.now().getTime() + 30 * 60_000), {
          env,
          timeoutMs: 500,
          sql,
        })
      ).ran,
    ).toBe(0);
    expect(
      (
        await runDueCollectors(app, new Date(clock.now().getTime() + 60 * 60_000), {
          env,
          timeoutMs: 500,
          sql,
        })
      ).ran,
    ).toBe(collectors);
  });

  it('never write to the product database: an INSERT fails and writes nothing, a second statement is refused', async () => {
    const before = (await product.pool.query('SELECT count(*)::int AS n FROM chat_messages'))
      .rows[0].n;
    await runDueCollectors(app, clock.now(), { env, timeoutMs: 500, sql });
    expect((await health('writes')).last_error).toMatch(/read-only transaction/);
    expect((await health('two_statements')).last_error).toMatch(/multiple commands/);
    expect(
      (await product.pool.query('SELECT count(*)::int AS n FROM chat_messages')).rows[0].n,
    ).toBe(before);
  });

  it('record timeouts, wrong shapes, unreachable databases and unset variables as failures, without throwing', async () => {
    const result = await runDueCollectors(app, clock.now(), { env, timeoutMs: 300, sql });
    expect(result.failed).toBeGreaterThanOrEqual(8);
    expect((await health('slow')).last_error).toMatch(/timed out after 300 ms/);
    expect((await health('two_columns')).last_error).toMatch(
      /exactly one row with one column, got 1 row\(s\) and 2 column/,
    );
    expect((await health('no_rows')).last_error).toMatch(/got 0 row/);
    expect((await health('words')).last_error).toMatch(/expected a number, got "many"/);
    // Past the bound every way in holds: refused in our words, not the CHECK constraint's.
    expect((await health('huge')).last_error).toMatch(
      /refused the value: expected a value between -1e15 and 1e15 \(in count\), got 1e\+300/,
    );
    expect((await health('elsewhere')).last_error).toMatch(/ECONNREFUSED|connect/);
    expect((await health('unset')).last_error).toMatch(/NOT_SET_DATABASE_URL is not set/);
    for (const metric of ['slow', 'writes', 'huge'])
      expect(await value('hostile', metric)).toBeUndefined();
  });

  it('show "collector failing since" in status, keep the first failure time, and clear it on success', async () => {
    await runDueCollectors(app, clock.now(), { env, timeoutMs: 300, sql });
    const first = (await health('unset')).failing_since;
    const later = new Date(clock.now().getTime() + 2 * 3_600_000);
    await runDueCollectors(app, later, { env, timeoutMs: 300, sql });
    expect((await health('unset')).failing_since).toEqual(first);
    const text = renderText(
      (await runCommand(app, { ...admin, defaultRoadmap: 'hostile' }, 'status', 'cli')).message,
    );
    expect(text).toMatch(/Collectors failing/);
    expect(text).toMatch(/unset: collector failing since 2026-03-02 12:00/);
    const json = (
      await runCommand(app, { ...admin, defaultRoadmap: 'hostile' }, 'status --json', 'cli')
    ).json as { collectors: { metric: string }[] };
    expect(json.collectors.map((c) => c.metric)).toContain('unset');
    // The variable appears: the next run succeeds and the failure is gone.
    await runDueCollectors(app, new Date(later.getTime() + 3_600_000), {
      env: { ...env, NOT_SET_DATABASE_URL: as(product, READER) },
      timeoutMs: 300,
      sql,
    });
    expect((await health('unset')).failing_since).toBeNull();
  });
});

describe('SQL collectors only run as a role that may only read', () => {
  const failures = async (roadmap: string) =>
    (
      await bot.pool.query<{ metric: string; last_error: string }>(
        `SELECT metric, last_error FROM collector_state WHERE roadmap_id = $1 AND failing_since IS NOT NULL ORDER BY metric`,
        [roadmap],
      )
    ).rows;
  const MIRAI_SQL = ['daily_active_users', 'messages_per_day', 'mrr', 'paying_users'];
  const miraiOnly = async () => appWith(bot.pool, roadmapsFolder('mirai'), clock);

  it('a role with SELECT only passes and collects', async () => {
    const deps = await miraiOnly();
    const result = await runDueCollectors(deps, clock.now(), {
      env,
      timeoutMs: 2000,
      sql: pgSqlCollector(new SqlRoleChecks()),
    });
    expect(result.failed).toBe(0);
    expect(await failures('mirai')).toEqual([]);
    expect(await value('mirai', 'messages_per_day')).toBe(5);
  });

  it('a role that may INSERT into a table is refused with the reason, shown in status, and nothing is collected', async () => {
    const deps = await miraiOnly();
    await runDueCollectors(deps, clock.now(), {
      env: { ...env, PRODUCT_DATABASE_URL: as(product, WRITER) },
      timeoutMs: 2000,
      sql: pgSqlCollector(new SqlRoleChecks()),
    });
    const failing = await failures('mirai');
    expect(failing.map((f) => f.metric)).toEqual(expect.arrayContaining(MIRAI_SQL));
    for (const f of failing.filter((f) => MIRAI_SQL.includes(f.metric)))
      expect(f.last_error).toMatch(
        new RegExp(`^refused to run: role "${WRITER}" can write .*INSERT on chat_messages`),
      );
    for (const metric of MIRAI_SQL) expect(await value('mirai', metric)).toBeUndefined();
    const status = await runCommand(
      deps,
      { ...admin, defaultRoadmap: 'mirai' },
      'status --json',
      'cli',
    );
    const json = status.json as { collectors: { metric: string; error: string }[] };
    expect(json.collectors.find((c) => c.metric === 'messages_per_day')?.error).toMatch(
      /refused to run: .*INSERT on chat_messages/,
    );
    const text = renderText(
      (await runCommand(deps, { ...admin, defaultRoadmap: 'mirai' }, 'status', 'cli')).message,
    );
    expect(text).toMatch(/messages_per_day: collector failing since 2026-03-02 12:00/);
  });

  it('a superuser is refused', async () => {
    const deps = await miraiOnly();
    await runDueCollectors(deps, clock.now(), {
      env: { ...env, PRODUCT_DATABASE_URL: product.url },
      timeoutMs: 2000,
      sql: pgSqlCollector(new SqlRoleChecks()),
    });
    expect((await health('mrr')).last_error).toMatch(/^refused to run: role "[^"]+" .*SUPERUSER/);
    expect(await value('mirai', 'mrr')).toBeUndefined();
  });

  it('a role that gains a privilege is refused within a minute, even before its collectors are due, and passes again once it is taken back', async () => {
    const deps = await miraiOnly();
    const checks = new SqlRoleChecks(60_000);
    const run = (at: Date) =>
      runDueCollectors(deps, at, { env, timeoutMs: 2000, sql: pgSqlCollector(checks) });
    const start = clock.now();
    expect((await run(start)).failed).toBe(0);
    try {
      await product.pool.query(`GRANT UPDATE (status) ON subscription_history TO ${READER}`);
      // Every 1h: nothing is due two minutes later, but the role is checked again.
      const later = new Date(start.getTime() + 2 * 60_000);
      expect((await run(later)).ran).toBe(0);
      const failing = await failures('mirai');
      expect(failing.map((f) => f.metric)).toEqual(expect.arrayContaining(MIRAI_SQL));
      expect(failing[0]?.last_error).toMatch(/UPDATE on subscription_history/);
    } finally {
      await product.pool.query(`REVOKE UPDATE (status) ON subscription_history FROM ${READER}`);
    }
    expect((await run(new Date(start.getTime() + 4 * 60_000))).ran).toBe(0);
    expect(await failures('mirai')).toEqual([]);
  });

  describe('a database where dblink is installed', () => {
    let deps: AppDeps;
    let folder: string;
    const inserted = async () =>
      (await linked.pool.query('SELECT count(*)::int AS n FROM chat_messages')).rows[0].n;

    beforeAll(async () => {
      // What the hostile test did: READ ONLY does not follow dblink into the session it opens,
      // here as an application role that may write.
      const url = new URL(linked.url);
      const target = `host=${url.hostname} port=${url.port} dbname=${url.pathname.slice(1)} user=${WRITER} password=${PASSWORD}`;
      folder = mkdtempSync(path.join(os.tmpdir(), 'roadmaps-dblink-'));
      writeFileSync(
        path.join(folder, 'linked.yaml'),
        [
          'id: linked',
          'name: A product database with dblink',
          'metrics:',
          `  escape: { unit: count, source: { sql: "SELECT length(dblink_exec('${target}', 'INSERT INTO chat_messages (user_id) VALUES (999)'))", database: LINKED_DATABASE_URL, every: 1h } }`,
          '  messages: { unit: count, source: { sql: "SELECT count(*) FROM chat_messages", database: LINKED_DATABASE_URL, every: 1h } }',
          'stages:',
          '  - { id: only, name: Only, upgrade: { when: messages > 100 } }',
        ].join('\n'),
      );
      deps = await appWith(bot.pool, folder, clock);
    });

    it('refuses a role that may call it, with the reason, and nothing is written through it', async () => {
      await runDueCollectors(deps, clock.now(), {
        env: { LINKED_DATABASE_URL: as(linked, READER) },
        timeoutMs: 2000,
        sql: pgSqlCollector(new SqlRoleChecks()),
      });
      expect(await inserted()).toBe(0);
      const failing = await failures('linked');
      expect(failing.map((f) => f.metric)).toEqual(['escape', 'messages']);
      for (const f of failing)
        expect(f.last_error).toMatch(
          new RegExp(`^refused to run: role "${READER}" .*the dblink extension`),
        );
    });

    it('runs once the role may not call it (installed but not usable)', async () => {
      await linked.pool.query(`REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC`);
      try {
        await runDueCollectors(deps, clock.now(), {
          env: { LINKED_DATABASE_URL: as(linked, READER) },
          timeoutMs: 2000,
          sql: pgSqlCollector(new SqlRoleChecks()),
        });
        expect(await value('linked', 'messages')).toBe(0);
        expect((await health('escape')).last_error).toMatch(
          /permission denied for function dblink_exec/,
        );
        expect(await inserted()).toBe(0);
      } finally {
        await linked.pool.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC`);
      }
    });

    it('refuses a role with USAGE on a foreign-data wrapper (postgres_fdw)', async () => {
      await linked.pool.query(`CREATE EXTENSION IF NOT EXISTS postgres_fdw`);
      await linked.pool.query(`REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC`);
      await linked.pool.query(`GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO ${READER}`);
      try {
        await runDueCollectors(deps, clock.now(), {
          env: { LINKED_DATABASE_URL: as(linked, READER) },
          timeoutMs: 2000,
          sql: pgSqlCollector(new SqlRoleChecks()),
        });
        expect((await health('messages')).last_error).toMatch(
          /refused to run: .*USAGE on foreign-data wrapper postgres_fdw/,
        );
      } finally {
        await linked.pool.query(`DROP EXTENSION postgres_fdw CASCADE`);
        await linked.pool.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC`);
      }
    });
  });
});
