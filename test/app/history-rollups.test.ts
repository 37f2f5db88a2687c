import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { withDatabase } from '../../src/adapters/pg/embedded.js';
import type { BucketSeries } from '../../src/adapters/pg/history-cache.js';
import { historyBuckets } from '../../src/adapters/pg/history.js';
import {
  refreshRollups,
  refreshWait,
  RollupRefresher,
  rollupBuckets,
  ROLLUP_BUCKET_MS,
} from '../../src/adapters/pg/history-rollups.js';
import { migrate, MIGRATIONS_DIR } from '../../src/adapters/pg/migrate.js';
import { pgStore, type PgStore } from '../../src/adapters/pg/store.js';
import type { PointInput } from '../../src/app/ports/points.js';
import { FORECAST_BUCKET_MS } from '../../src/app/evaluate.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const METRICS = ['users', 'latency', 'empty'];
const actor = { platform: 'cli' as const, id: 'test' };

/** Values whose sums depend on the order they are added in (0.1 is inexact in binary). */
const value = (i: number, metric: string) =>
  metric === 'users' ? 100 + i * 0.1 + (i % 7) * 1e-3 : 1e14 / (1 + (i % 13)) + 0.3;

function minutePoints(metric: string, fromMinute: number, toMinute: number, source = 'api') {
  const points: PointInput[] = [];
  for (let m = fromMinute; m < toMinute; m++)
    points.push({
      roadmapId: 'r',
      metric,
      value: value(m, metric),
      at: new Date(T0 + m * MINUTE),
      source,
    });
  return points;
}

async function record(store: PgStore, points: PointInput[]) {
  await store.points.record(points, { actor, action: 'record', at: new Date(T0) });
}

/** Buckets as plain arrays, to compare the rollups' typed columns with the points' arrays. */
const plain = (buckets: Map<string, BucketSeries>) =>
  new Map(
    [...buckets].map(([m, b]) => [
      m,
      { starts: Array.from(b.starts), values: Array.from(b.values) },
    ]),
  );

/**
 * The history from the rollups (stale buckets included) equals, bit for bit, the history
 * computed from the points, over windows that start and end in various places.
 */
async function expectExact(label: string) {
  for (const [fromHour, untilMinute] of [
    [0, 4 * 24 * 60],
    [5, 50 * 60 + 7],
    [26, 48 * 60],
    [47, 47 * 60 + 10],
  ] as const) {
    const since = Math.ceil((T0 + fromHour * HOUR) / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
    const until = new Date(T0 + untilMinute * MINUTE);
    const [rolled, raw] = await Promise.all([
      rollupBuckets(db.pool, 'r', METRICS, since, until),
      historyBuckets(db.pool, 'r', METRICS, since, ROLLUP_BUCKET_MS, until),
    ]);
    expect(plain(rolled.buckets), `${label}: ${fromHour} h – ${untilMinute} min`).toEqual(
      plain(raw),
    );
  }
}

/** metric_rollups after a refresh equals them computed afresh from every point. */
async function expectTableExact() {
  const { rows } = await db.pool.query<{ differing: number; marks: number }>(
    `WITH fresh AS (
       SELECT roadmap_id, metric, date_bin('1 day', at, TIMESTAMPTZ 'epoch') AS day,
              extract(epoch FROM date_bin('10 minutes', at, TIMESTAMPTZ 'epoch')
                                 - date_bin('1 day', at, TIMESTAMPTZ 'epoch'))::integer / 600 + 1 AS slot,
              avg(least(greatest(value, '-1e15'::float8), '1e15'::float8) ORDER BY at, source) AS v
         FROM metric_points GROUP BY 1, 2, 3, 4),
     days AS (
       SELECT roadmap_id, metric, day, roadmap_bot_rollup_day(NULL, array_agg(slot), array_agg(v)) AS v
         FROM fresh GROUP BY 1, 2, 3)
     SELECT (SELECT count(*) FROM days d FULL JOIN metric_rollups r USING (roadmap_id, metric, day)
              WHERE d.v IS DISTINCT FROM r.v)::int AS differing,
            (SELECT count(*) FROM metric_rollups_stale)::int AS marks`,
  );
  expect(rows[0]).toEqual({ differing: 0, marks: 0 });
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE metric_points');
});

describe('ten-minute rollups (migration 0011)', () => {
  it('are the buckets forecasts read', () => {
    expect(FORECAST_BUCKET_MS).toBe(ROLLUP_BUCKET_MS);
  });

  it('give the history the points give after inserts, late points, replacements, moves and deletes', async () => {
    const store = pgStore(db.pool, { rollups: { delayMs: 3_600_000 } });
    await record(store, [
      ...minutePoints('users', 0, 3 * 24 * 60),
      ...minutePoints('latency', 0, 3 * 24 * 60),
    ]);
    await expectExact('inserted, not refreshed yet');
    await store.rollups!.run();
    await expectTableExact();
    await expectExact('inserted');

    // Late points in old buckets, from a source that sorts before the first one (so they are
    // added first within their bucket), and a second source at the same instants.
    await record(store, [
      ...minutePoints('users', 600, 620, 'aaa'),
      ...minutePoints('latency', 1000, 1003, 'zzz').map((p) => ({ ...p, value: p.value * 3 })),
    ]);
    await expectExact('late points, stale');
    await store.rollups!.run();
    await expectExact('late points');

    // Replacements: same roadmap, metric, time and source, another value.
    await record(
      store,
      minutePoints('users', 1200, 1260).map((p) => ({ ...p, value: -p.value / 3 })),
    );
    await expectExact('replaced, stale');
    await store.rollups!.run();
    await expectExact('replaced');

    // Deletes: some points of a bucket, a whole bucket, a whole day; and a point moved to
    // another bucket (its old and its new bucket both change).
    await db.pool.query(
      `DELETE FROM metric_points WHERE metric = 'users' AND at >= $1 AND at < $2`,
      [new Date(T0 + 100 * MINUTE + 3 * MINUTE), new Date(T0 + 100 * MINUTE + 5 * MINUTE)],
    );
    await db.pool.query(
      `DELETE FROM metric_points WHERE metric = 'users' AND at >= $1 AND at < $2`,
      [new Date(T0 + 2 * HOUR), new Date(T0 + 2 * HOUR + 10 * MINUTE)],
    );
    await db.pool.query(`DELETE FROM metric_points WHERE metric = 'latency' AND at < $1`, [
      new Date(T0 + DAY),
    ]);
    await db.pool.query(
      `UPDATE metric_points SET at = at + interval '7 hours 30 seconds' WHERE metric = 'users' AND at = $1`,
      [new Date(T0 + 30 * HOUR + 4 * MINUTE)],
    );
    await expectExact('deleted and moved, stale');
    await store.rollups!.run();
    await expectTableExact();
    await expectExact('deleted and moved');

    // Emptied by TRUNCATE: the rollups go with the points.
    await db.pool.query('TRUNCATE metric_points');
    await expectExact('truncated');
    const left = await db.pool.query('SELECT 1 FROM metric_rollups');
    expect(left.rowCount).toBe(0);
  });

  it('a write committed while a refresh runs keeps its mark, so no bucket is left stale', async () => {
    const store = pgStore(db.pool, { rollups: { delayMs: 3_600_000 } });
    await record(store, minutePoints('users', 0, 24 * 60));
    await store.rollups!.run();

    // A writer whose transaction is open across the refresh: the refresh cannot see its
    // points, so it must not take its mark either.
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO metric_points (roadmap_id, metric, at, source, value) VALUES ('r', 'users', $1, 'late', 1e9)`,
        [new Date(T0 + 3 * HOUR + MINUTE)],
      );
      expect(await refreshRollups(db.pool, 1000)).toEqual({ marks: 0, buckets: 0 });
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    await expectExact('written during a refresh');
    expect(await refreshRollups(db.pool, 1000)).toEqual({ marks: 1, buckets: 1 });
    await expectTableExact();
    await expectExact('written during a refresh, refreshed');
  });

  it('TRUNCATE metric_points does not wait for a transaction reading the rollups', async () => {
    // A status read holds a share lock on the rollups while it waits for metric_points: had
    // the truncate trigger needed an exclusive lock on them, the two would deadlock.
    const reader = await db.pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT 1 FROM metric_rollups, metric_rollups_stale LIMIT 1');
      const truncater = await db.pool.connect();
      try {
        await truncater.query(`SET lock_timeout = '5s'`);
        await truncater.query('TRUNCATE metric_points');
        await truncater.query('RESET lock_timeout');
      } finally {
        truncater.release();
      }
      await reader.query('SELECT 1 FROM metric_points LIMIT 1');
      await reader.query('COMMIT');
    } finally {
      reader.release();
    }
  });

  it('one refresher at a time: another finds the lock taken and leaves the marks', async () => {
    const store = pgStore(db.pool, { rollups: { delayMs: 3_600_000 } });
    await record(store, minutePoints('users', 0, 60));
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext('roadmap-bot:rollups'), 0)`);
      expect(await refreshRollups(db.pool, 1000)).toBeNull();
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    expect(await refreshRollups(db.pool, 1000)).toEqual({ marks: 6, buckets: 6 });
    await expectTableExact();
  });

  it('a status read finds the rollups stale after a write and has them refreshed', async () => {
    const store = pgStore(db.pool, { rollups: { delayMs: 3_600_000 } });
    await record(store, minutePoints('users', 0, 2 * 24 * 60));
    expect(store.rollups!.pending).toBe(true); // a write schedules a refresh too
    await store.rollups!.run();
    const marks = async () =>
      Number((await db.pool.query('SELECT count(*) FROM metric_rollups_stale')).rows[0].count);
    expect(await marks()).toBe(0);

    // Another replica (or psql) writes: this process only learns of it from a read.
    await db.pool.query(
      `INSERT INTO metric_points (roadmap_id, metric, at, source, value) VALUES ('r', 'users', $1, 'psql', 5)`,
      [new Date(T0 + 5 * HOUR)],
    );
    expect(await marks()).toBe(1);
    const now = new Date(T0 + 2 * DAY);
    const cold = pgStore(db.pool, { rollups: { delayMs: 3_600_000 } });
    const histories = await cold.points.forecastHistories(
      'r',
      ['users'],
      DAY * 2,
      FORECAST_BUCKET_MS,
      now,
    );
    const raw = await pgStore(db.pool, { rollups: false }).points.forecastHistories(
      'r',
      ['users'],
      DAY * 2,
      FORECAST_BUCKET_MS,
      now,
    );
    expect(histories).toEqual(raw);
    // The read saw the stale bucket and scheduled a refresh (run here rather than waited for).
    expect(cold.rollups!.pending).toBe(true);
    await cold.rollups!.run();
    expect(await marks()).toBe(0);
    await expectTableExact();
  });
});

describe('when the refresher runs', () => {
  it('waits for a pause in the requests, and at most maxDelayMs under a stream', () => {
    // Asked once at 0: one second later.
    expect(refreshWait(0, 0, 0, 1_000, 10_000)).toBe(1_000);
    // Asked again at 900: a second after that.
    expect(refreshWait(1_000, 0, 900, 1_000, 10_000)).toBe(900);
    // Asked every 100 ms since 0: at 10 s at the latest.
    expect(refreshWait(9_500, 0, 9_500, 1_000, 10_000)).toBe(500);
    expect(refreshWait(10_000, 0, 10_000, 1_000, 10_000)).toBe(0);
    // A cap below the pause is the pause.
    expect(refreshWait(0, 0, 0, 3_600_000, 10_000)).toBe(3_600_000);
  });

  it('under a stream of writes refreshes once, at the cap, not after each write', async () => {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const delay = (ms: number, fn: () => void) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => void timers.splice(timers.indexOf(timer), 1);
    };
    /** Moves the time to `to`, firing the timers due by then, in order. */
    const advance = (to: number) => {
      for (;;) {
        const due = timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.splice(timers.indexOf(due), 1);
        now = due.at;
        due.fn();
      }
      now = to;
    };
    const store = pgStore(db.pool, {
      rollups: { delayMs: 1_000, maxDelayMs: 10_000, delay, monotonic: () => now },
    });
    const marks = async () =>
      (await db.pool.query('SELECT count(*)::int AS n FROM metric_rollups_stale')).rows[0].n;
    const refreshes = vi.spyOn(store.rollups as RollupRefresher, 'run');
    // A write every 500 ms for 12 s: the refresher waits for a pause that never comes.
    for (let t = 0; t < 10_000; t += 500) {
      advance(t);
      await record(store, minutePoints('users', t / 500, t / 500 + 1));
      expect(store.rollups?.pending).toBe(true);
    }
    expect(await marks()).toBeGreaterThan(0);
    expect(refreshes).not.toHaveBeenCalled();
    advance(10_000); // the cap: refreshed though writes go on
    await store.rollups?.settled();
    expect(refreshes).toHaveBeenCalledTimes(1);
    expect(await marks()).toBe(0);
    await record(store, minutePoints('users', 30, 31));
    advance(10_900);
    expect(await marks()).toBeGreaterThan(0);
    advance(11_000); // a second without a write
    await store.rollups?.settled();
    expect(refreshes).toHaveBeenCalledTimes(2);
    expect(await marks()).toBe(0);
  });
});

describe('migration 0011 on a store with points', () => {
  const admin = () => inject('pgAdminUrl');
  const name = `${inject('pgDatabasePrefix')}${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const c = new pg.Client({ connectionString: admin() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await c.end();
  });

  it('computes the rollups of the points already stored', async () => {
    const c = new pg.Client({ connectionString: admin() });
    await c.connect();
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
    await c.end();
    const url = withDatabase(admin(), name);
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_/.test(f)).sort();
    const before0011 = files.findIndex((f) => f.startsWith('0011_'));
    expect(before0011).toBeGreaterThan(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Everything before 0011, then points, then 0011 and the rest.
      await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        direction: 'up',
        migrationsTable: 'pgmigrations',
        count: before0011,
        singleTransaction: true,
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      await client.query(
        `INSERT INTO metric_points (roadmap_id, metric, at, source, value)
         SELECT 'r', m, $1::timestamptz + g * interval '7 minutes', s, g * 0.1 + length(s)
           FROM generate_series(0, 2000) g, unnest(ARRAY['users', 'latency']) m, unnest(ARRAY['a', 'b']) s
          WHERE (g + length(m)) % 3 <> 0 OR s = 'a'`,
        [new Date(T0)],
      );
      await migrate(url);
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      try {
        const since = T0;
        const until = new Date(T0 + 10 * DAY);
        const [rolled, raw] = await Promise.all([
          rollupBuckets(pool, 'r', ['users', 'latency'], since, until),
          historyBuckets(pool, 'r', ['users', 'latency'], since, ROLLUP_BUCKET_MS, until),
        ]);
        expect(rolled.stale).toBe(0);
        expect(rolled.buckets.get('users')?.starts.length).toBeGreaterThan(1000);
        expect(plain(rolled.buckets)).toEqual(plain(raw));
      } finally {
        await pool.end();
      }
    } finally {
      await client.end();
    }
  });
});
