import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDueCollectors } from '../../src/app/collectors/run.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const bot = useTestDatabase();
const product = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let app: AppDeps;
let env: Record<string, string>;

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
    INSERT INTO analytics_events (user_id, response_time_ms) VALUES (1, 120), (1, 180), (2, 300), (3, 200);
    INSERT INTO analytics_events (user_id, response_time_ms, created_at) VALUES (4, 100, now() - interval '3 days');
    INSERT INTO chat_messages (user_id) SELECT g % 3 FROM generate_series(1, 5) g;
    INSERT INTO subscription_history (user_id, amount, status) VALUES (1, 19, 'active'), (2, 49, 'active'), (2, 49, 'active'), (3, 99, 'cancelled');
  `);
  const dir = roadmapsFolder('mirai');
  writeFileSync(path.join(dir, 'hostile.yaml'), HOSTILE);
  app = await appWith(bot.pool, dir, clock);
  env = {
    PRODUCT_DATABASE_URL: product.url,
    UNREACHABLE_DATABASE_URL: 'postgres://nobody:x@127.0.0.1:9/none',
  };
});

beforeEach(async () => {
  await bot.pool.query('TRUNCATE metric_points, collector_state');
});

describe('SQL collectors', () => {
  it("run the MIRAI document's daily-metrics queries as written and record their numbers", async () => {
    await runDueCollectors(app, clock.now(), { env, timeoutMs: 500 });
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
      runDueCollectors(app, clock.now(), { env, timeoutMs: 500 }),
      runDueCollectors(app, clock.now(), { env, timeoutMs: 500 }),
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
        })
      ).ran,
    ).toBe(0);
    expect(
      (
        await runDueCollectors(app, new Date(clock.now().getTime() + 60 * 60_000), {
          env,
          timeoutMs: 500,
        })
      ).ran,
    ).toBe(collectors);
  });

  it('never write to the product database: an INSERT fails and writes nothing, a second statement is refused', async () => {
    const before = (await product.pool.query('SELECT count(*)::int AS n FROM chat_messages'))
      .rows[0].n;
    await runDueCollectors(app, clock.now(), { env, timeoutMs: 500 });
    expect((await health('writes')).last_error).toMatch(/read-only transaction/);
    expect((await health('two_statements')).last_error).toMatch(/multiple commands/);
    expect(
      (await product.pool.query('SELECT count(*)::int AS n FROM chat_messages')).rows[0].n,
    ).toBe(before);
  });

  it('record timeouts, wrong shapes, unreachable databases and unset variables as failures, without throwing', async () => {
    const result = await runDueCollectors(app, clock.now(), { env, timeoutMs: 300 });
    expect(result.failed).toBeGreaterThanOrEqual(8);
    expect((await health('slow')).last_error).toMatch(/timed out after 300 ms/);
    expect((await health('two_columns')).last_error).toMatch(
      /exactly one row with one column, got 1 row\(s\) and 2 column/,
    );
    expect((await health('no_rows')).last_error).toMatch(/got 0 row/);
    expect((await health('words')).last_error).toMatch(/expected a number, got "many"/);
    expect((await health('elsewhere')).last_error).toMatch(/ECONNREFUSED|connect/);
    expect((await health('unset')).last_error).toMatch(/NOT_SET_DATABASE_URL is not set/);
    for (const metric of ['slow', 'writes']) expect(await value('hostile', metric)).toBeUndefined();
  });

  it('show "collector failing since" in status, keep the first failure time, and clear it on success', async () => {
    await runDueCollectors(app, clock.now(), { env, timeoutMs: 300 });
    const first = (await health('unset')).failing_since;
    const later = new Date(clock.now().getTime() + 2 * 3_600_000);
    await runDueCollectors(app, later, { env, timeoutMs: 300 });
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
      env: { ...env, NOT_SET_DATABASE_URL: product.url },
      timeoutMs: 300,
    });
    expect((await health('unset')).failing_since).toBeNull();
  });
});
